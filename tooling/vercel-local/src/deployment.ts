// One local Vercel deployment: the sandbox's project variables, `vercel build` with Vercel's build
// environment, then the output served with Vercel's function environment. Builds are separate
// from serving so one build can back several deployments (the tests serve it as production and
// as preview, and again with another function region).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildResult, buildDeployment, gitFacts } from "./build";
import {
  buildEnvironment,
  type DeploymentOptions,
  functionEnvironment,
  type GitFacts,
  hostBasics,
  newDeploymentId,
  projectVariables,
} from "./environment";
import { FunctionHost, nodeForRuntime } from "./function-host";
import { functionSize } from "./functions";
import {
  mintToken,
  type SandboxAccess,
  type TokenLifetime,
  type VercelEnvironment,
} from "./sandbox";
import { type DeploymentServer, serveDeployment } from "./server";

/** The sandbox's team and project: what the stack trusts and the tokens name. */
export const PROJECT = { team: "acme", name: "web" };

export interface BuildOptions {
  environment: VercelEnvironment;
  /** Build folder name (default: the environment); the tests use their own. */
  label?: string;
  host: string;
  omitProjectRegion?: boolean;
  projectVariables?: Record<string, string>;
  /** Files laid over the clone before the build (see buildDeployment). */
  overlay?: string;
  /** Tests only: the build's node processes answer Vercel's token exchange from this URL. */
  tokenExchangeStandIn?: string;
  log(line: string): void;
}

export interface Built extends BuildResult {
  git: GitFacts;
}

/** Variables that differ per deployment without changing what is built. */
const VOLATILE = [
  "VERCEL_OIDC_TOKEN",
  "VERCEL_DEPLOYMENT_ID",
  "VERCEL_URL",
  "VERCEL_BRANCH_URL",
  "VERCEL_PROJECT_PRODUCTION_URL",
  "VERCEL_GIT_COMMIT_SHA",
  "VERCEL_GIT_COMMIT_REF",
  "VERCEL_GIT_COMMIT_MESSAGE",
  "VERCEL_GIT_COMMIT_AUTHOR_LOGIN",
  "VERCEL_GIT_COMMIT_AUTHOR_NAME",
  // The host's own (PATH, HOME, CA bundle…): the same sources build the same output anywhere.
  ...Object.keys(hostBasics()),
];

export async function buildForSandbox(
  sandbox: SandboxAccess,
  options: BuildOptions,
): Promise<Built> {
  const git = await gitFacts();
  const deployment: DeploymentOptions = { ...options, git };
  const env = buildEnvironment(
    deployment,
    newDeploymentId(),
    PROJECT,
    projectVariables(sandbox, options),
    await mintToken(sandbox.issuerUrl, options.environment),
  );
  const built = await buildDeployment({
    environment: options.environment,
    label: options.label,
    env: options.tokenExchangeStandIn
      ? { ...env, ...standInBuildEnv(options.tokenExchangeStandIn) }
      : env,
    volatile: VOLATILE,
    overlay: options.overlay,
    log: options.log,
  });
  return { ...built, git };
}

const STAND_IN = fileURLToPath(new URL("./token-exchange-stand-in.cjs", import.meta.url));

/** Every node process of the build (the preflight among them) loads the stand-in first. */
function standInBuildEnv(target: string): Record<string, string> {
  return {
    NODE_OPTIONS: `--require=${STAND_IN}`,
    VERCEL_LOCAL_TOKEN_EXCHANGE_STAND_IN: target,
  };
}

export interface ServeOptions extends Omit<DeploymentOptions, "git"> {
  port: number;
  /** Serve the build as another deployment (its own dpl_ id), e.g. a preview of the same code. */
  deploymentId?: string;
  /** The lifetime of the tokens in each request's x-vercel-oidc-token. */
  tokens?: TokenLifetime;
  /** Functions served without the header (see DeploymentServerOptions). */
  withholdOidcHeader?: (functionName: string) => boolean;
  /**
   * Tests only: answer @vercel/oidc's token exchange (https://oidc.vercel.com/~token, a fixed
   * URL) from this URL instead, e.g. the sandbox issuer's stand-in `${issuerUrl}/~token`.
   */
  tokenExchangeStandIn?: string;
  /** Serve on every interface, not loopback only (`--network`). */
  network?: boolean;
  log(line: string): void;
}

export interface RunningDeployment extends DeploymentServer {
  deploymentId: string;
  environment: VercelEnvironment;
  /** Node binary each function runtime resolved to (`nodejs24.x` → v24…). */
  runtimes: Map<string, string>;
  /** Bytes per function, as deployed (its folder plus its traced files). */
  sizes(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function serveBuild(
  sandbox: SandboxAccess,
  built: Built,
  options: ServeOptions,
): Promise<RunningDeployment> {
  const deployment: DeploymentOptions = { ...options, git: built.git };
  const deploymentId = options.deploymentId ?? built.deploymentId;
  const variables = projectVariables(sandbox, options);
  const runtimes = new Map<string, string>();
  const resolving = new Map<string, Promise<string>>();
  const nodePath = (runtime: string) => {
    let found = resolving.get(runtime);
    if (!found) {
      found = nodeForRuntime(runtime).then(({ path, version }) => {
        runtimes.set(runtime, version);
        if (!version.startsWith(`v${/\d+/.exec(runtime)?.[0]}.`)) {
          options.log(`${runtime}: no such Node here, functions run on ${version}`);
        }
        return path;
      });
      resolving.set(runtime, found);
    }
    return found;
  };
  const workDir = join(
    built.root,
    ".vercel",
    "local",
    `${options.environment}-${randomBytes(4).toString("hex")}`,
  );
  const host = new FunctionHost({
    checkoutRoot: built.root,
    workDir,
    envFor: (fn) => functionEnvironment(deployment, deploymentId, PROJECT, variables, fn.name),
    nodePath: (fn) => nodePath(fn.config.runtime),
    log: (fn, line) => options.log(`λ ${fn.name}: ${line}`),
    tokenExchangeStandIn: options.tokenExchangeStandIn,
  });
  const region = options.functionRegion ?? "iad1";
  let server: DeploymentServer;
  try {
    server = await serveDeployment({
      outputDir: built.outputDir,
      host,
      port: options.port,
      network: options.network,
      log: options.log,
      withholdOidcHeader: options.withholdOidcHeader,
      requestHeaders: async () => ({
        "x-vercel-oidc-token": await mintToken(
          sandbox.issuerUrl,
          options.environment,
          options.tokens,
        ),
        "x-vercel-id": `${region}::${randomBytes(6).toString("hex")}`,
        "x-vercel-deployment-url": options.host,
        "x-forwarded-host": options.host,
        "x-forwarded-proto": "http",
      }),
    });
  } catch (error) {
    await host.stop();
    throw error;
  }
  return {
    ...server,
    deploymentId,
    environment: options.environment,
    runtimes,
    sizes: async () => {
      const sizes: Record<string, number> = {};
      for (const fn of new Set(server.index.functions.values())) {
        sizes[fn.name] = await functionSize(fn, built.root);
      }
      return sizes;
    },
    stop: async () => {
      await server.close();
      await host.stop();
    },
  };
}
