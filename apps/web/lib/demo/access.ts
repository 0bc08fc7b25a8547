import { resolveCredentialMode, vercelEnvironmentName } from "@repo/aws-auth/mode";
import { isProductionDeployment } from "../deployment";

type Env = Record<string, string | undefined>;

/** The variable that turns the object demo on in production. */
export const PUBLIC_DEMO_VARIABLE = "KEYLESS_PUBLIC_DEMO";
export const PUBLIC_DEMO_VALUES = ["on", "off"] as const;
/** Uploads land here (under the environment's prefix); production shows nothing else. */
export const UPLOADS_FOLDER = "uploads/";

/**
 * What a visitor may do with the bucket through this deployment:
 * - `full`: list, download and upload anywhere under this environment's prefix (preview,
 *   development, and every run off Vercel: the data is the environment's own);
 * - `uploads`: production with KEYLESS_PUBLIC_DEMO=on — list, download and upload under
 *   `<prefix>uploads/` only, every upload a fresh random key;
 * - `off`: production by default, and whenever KEYLESS_PUBLIC_DEMO holds anything but on/off.
 */
export type DemoAccess = "full" | "uploads" | "off";

export interface DemoScope {
  access: DemoAccess;
  /** Every key this deployment may list or hand out starts with this. */
  keyPrefix: string;
  /** This environment's part of the bucket (`production/`, `preview/`, …; empty with a profile). */
  dataPrefix: string;
}

/** Profile mode with no S3_PREFIX (your own credentials on a laptop): development's folder. */
export const LOCAL_PREFIX = "development/";

/**
 * The environment's part of the bucket: S3_PREFIX when set (the sandbox, the stack outputs),
 * otherwise `<VERCEL_ENV>/` on Vercel. Each role may touch only its own prefix, so a wrong value
 * fails closed with AccessDenied. In profile mode without S3_PREFIX — your own credentials, which
 * no Keyless role confines — the app confines itself to `development/`: a laptop never lists,
 * presigns or uploads production's data unless S3_PREFIX says so. A role elsewhere (a token
 * file) is confined by its own policy.
 */
export function dataPrefix(env: Env): string {
  if (env.S3_PREFIX) return env.S3_PREFIX;
  const vercelEnvironment = vercelEnvironmentName(env);
  if (vercelEnvironment) return `${vercelEnvironment}/`;
  return resolveCredentialMode(env).mode === "profile" ? LOCAL_PREFIX : "";
}

export function demoScope(env: Env): DemoScope {
  const prefix = dataPrefix(env);
  if (!isProductionDeployment(env)) {
    return { access: "full", keyPrefix: prefix, dataPrefix: prefix };
  }
  // Anything but exactly "on" keeps production closed; env.ts refuses unknown values outright.
  const access: DemoAccess = env[PUBLIC_DEMO_VARIABLE] === "on" ? "uploads" : "off";
  return { access, keyPrefix: `${prefix}${UPLOADS_FOLDER}`, dataPrefix: prefix };
}

/** True when this deployment may hand out `key`. */
export function mayServeKey(scope: DemoScope, key: string): boolean {
  // Browsers resolve "." and ".." path segments before sending, so such a key could reach another.
  const dotSegment = key.split("/").some((part) => part === "." || part === "..");
  return scope.access !== "off" && key.startsWith(scope.keyPrefix) && !dotSegment;
}
