import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SAMPLE_CONFIG } from "@repo/sandbox/test-kit/sample-config";
import {
  type Built,
  type RunningDeployment,
  type ServeOptions,
  serveBuild,
} from "../src/deployment";
import { newDeploymentId } from "../src/environment";
import type { SandboxAccess } from "../src/sandbox";

/** The stack the e2e sandboxes deploy: acme/web, production only, team issuer. */
export const E2E_STACK_ENV = SAMPLE_CONFIG;

/** Routes only the test builds have (see cases-app/README.md), never part of the deployed app. */
export const CASES_OVERLAY = fileURLToPath(new URL("./cases-app", import.meta.url));

/**
 * The one production build most tests share: the app with the demo switch on, plus the case
 * routes (they add functions of their own and change nothing the app's pages do). Built once by
 * global-setup.ts; cases.spec.ts asks for the same build and gets it back unbuilt (same sources,
 * same environment: see buildDeployment).
 */
export const MAIN_BUILD = {
  environment: "production",
  label: "e2e",
  host: "127.0.0.1",
  overlay: CASES_OVERLAY,
  projectVariables: { KEYLESS_PUBLIC_DEMO: "on" },
} as const;

/** A deployment served as production with its own dpl_ id, and its function output. */
export interface Served {
  deployment: RunningDeployment;
  /** This deployment's function output (Vercel's runtime logs). */
  logs: string[];
}

export async function serveWithLogs(
  access: SandboxAccess,
  built: Built,
  options: Partial<ServeOptions>,
): Promise<Served> {
  const port = await freePort();
  const logs: string[] = [];
  const deployment = await serveBuild(access, built, {
    environment: "production",
    host: `127.0.0.1:${port}`,
    port,
    deploymentId: newDeploymentId(),
    log: (line) => logs.push(line),
    ...options,
  });
  return { deployment, logs };
}

/** Out of test-results/, which Playwright empties when the tests start. */
export const HARNESS_LOG = fileURLToPath(
  new URL("../node_modules/.cache/vercel-local-e2e/harness.log", import.meta.url),
);

/** A JWT (three base64url parts, the first two JSON objects): what no page or log may show. */
export const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

/**
 * A port free now, for a server these tests start later — often after a build, minutes on. Taken
 * at random below 32768, outside the range Linux hands to programs asking for any free port (the
 * other tests running beside these) and to outgoing connections, so it is rarely taken meanwhile.
 */
export async function freePort(): Promise<number> {
  // Below 31000 too, where `pnpm vercel:local` keeps its sandbox's stable gateway port.
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 11_000);
    if (await isFree(port)) return port;
  }
  throw new Error("no free port found between 20000 and 31000 in 50 tries");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

export const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through playwright.config.ts`);
  return value;
};

interface TrailEvent {
  EventName: string;
  CloudTrailEvent: string;
}

/**
 * Every AssumeRoleWithWebIdentity event in the sandbox's CloudTrail (LookupEvents, JSON protocol),
 * all pages. The sandbox keeps CloudTrail's 2 requests/s limit, so a throttled page is asked again
 * after a pause; any other error fails the test rather than reading as "no event".
 */
export async function lookupAssumeRoleEvents(endpoint: string) {
  const events: TrailEvent[] = [];
  let nextToken: string | undefined;
  do {
    const body = await lookupPage(endpoint, nextToken);
    events.push(...(body.Events ?? []));
    nextToken = body.NextToken;
  } while (nextToken);
  return events.map(
    (event) =>
      JSON.parse(event.CloudTrailEvent) as {
        requestParameters?: { roleSessionName?: string; roleArn?: string };
        responseElements?: { audience?: string } | null;
        errorCode?: string;
        errorMessage?: string;
      },
  );
}

async function lookupPage(
  endpoint: string,
  nextToken: string | undefined,
): Promise<{ Events?: TrailEvent[]; NextToken?: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "CloudTrail_20131101.LookupEvents",
      },
      body: JSON.stringify({
        LookupAttributes: [
          { AttributeKey: "EventName", AttributeValue: "AssumeRoleWithWebIdentity" },
        ],
        MaxResults: 50,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    });
    const body = (await response.json()) as {
      Events?: TrailEvent[];
      NextToken?: string;
      __type?: string;
      message?: string;
    };
    if (response.ok) return body;
    if (!body.__type?.includes("Throttling") || attempt === 10) {
      throw new Error(
        `LookupEvents failed: HTTP ${response.status} ${body.__type} ${body.message}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 600 * attempt));
  }
}
