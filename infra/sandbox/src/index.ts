import { join } from "node:path";
import type { InfraEnv } from "@repo/infra/config";
import { deploymentFacts } from "@repo/infra/deployment-facts";
import type { VercelEnvironment } from "@repo/infra/vercel-naming";
import { type CloudTrailEventRecord, CloudTrailStore } from "./cloudtrail";
import { deployStack, motoClients, seedBucket } from "./deploy";
import { createAccountAdmins, enforceIam } from "./enforcement";
import { type ActiveFault, FaultInjector, type FaultSpec } from "./faults";
import { type GatewayCall, type GatewayStats, startGateway } from "./gateway";
import { type FakeGithub, type FakeGithubRepository, startGithubApiStandIn } from "./github-api";
import type { GithubMintOptions } from "./github-tokens";
import {
  createLocalIssuer,
  generateSigningKey,
  keepTokenFileFresh,
  type MintOptions,
  sampleVercelId,
  serveIssuer,
} from "./issuer";
import { resolveMotoCommand, startMoto } from "./moto";
import {
  APP_ENV_FILE,
  clearStateFiles,
  DEFAULT_STATE_DIR,
  formatDotenv,
  prepareStateDir,
  type SandboxState,
  STATE_FILE,
  TOKEN_FILE,
  writePrivateFile,
} from "./state";
import { SANDBOX_ACCOUNT, synthesizeSandbox } from "./synthesis";
import { type FakeVercel, SANDBOX_VERCEL_TOKEN, startVercelApiStandIn } from "./vercel-api";

export type { CloudTrailEventRecord } from "./cloudtrail";
export type { ActiveFault, FaultKind, FaultSpec } from "./faults";
export type { GatewayStats } from "./gateway";
export type { GithubMintOptions } from "./github-tokens";
export type { MintOptions } from "./issuer";
export { MotoUnavailableError, resolveMotoCommand } from "./moto";
export { motoMissingLine } from "./prerequisites";
export { SANDBOX_DEFAULTS, SandboxConfigError } from "./synthesis";

export interface SandboxOptions {
  /** 0 or unset = a free port for each. */
  ports?: {
    gateway?: number;
    issuer?: number;
    moto?: number;
    vercelApi?: number;
    githubApi?: number;
  };
  /** Where state.json, app.env and the token file go. @default <repo>/.sandbox */
  stateDir?: string;
  /** Lifetime of minted tokens, the token file's included. @default 3600 */
  tokenLifetimeSeconds?: number;
  /**
   * Infra configuration variables (VERCEL_TEAM_SLUG, VERCEL_PROJECT_NAME, VERCEL_ENVIRONMENTS,
   * VERCEL_ISSUER_MODE, VERCEL_TEAM_ID, VERCEL_PROJECT_ID, AWS_REGION, KEYLESS_STACK_NAME).
   * Unset team/project/region fall back to acme / web / us-east-1.
   * @default the repo-root .env under the process environment
   */
  env?: InfraEnv;
  /** Put the sample objects in the bucket (under each environment's prefix). @default true */
  seed?: boolean;
  /**
   * moto checks every request against IAM (each role reaches only its own environment's data);
   * the gateway signs the sandbox's own calls with an admin key. @default true
   */
  enforceIam?: boolean;
  /** STS actions the gateway serves besides AssumeRoleWithWebIdentity and GetCallerIdentity. */
  extraStsActions?: readonly string[];
  /**
   * More moto accounts (12-digit ids) besides the sandbox's own, for separate-account stacks
   * (KEYLESS_ACCOUNTS): each gets an admin user, `accountClients(id)` deploys into it, and the
   * gateway decides exchanges for its roles with its own providers and trust. @default none
   */
  extraAccounts?: readonly string[];
  /** Every AWS call forwarded or answered by the gateway (STS exchanges aside): what a test
   * checks a role's permissions against. */
  onCall?: (call: GatewayCall) => void;
  /** Delay before CloudTrail events show up in LookupEvents (AWS: ~5 min). @default 0 */
  cloudTrailDeliveryDelayMs?: number;
  python?: string;
  /**
   * The AWS endpoint (the gateway) on every interface, for clients on other machines; the issuer,
   * the Vercel API stand-in, moto and the admin API stay on loopback. @default false
   */
  network?: boolean;
  /** Progress and one line per STS exchange (never a token). @default silent */
  log?: (line: string) => void;
}

export interface SandboxHandle {
  /** The AWS endpoint for every service (AWS_ENDPOINT_URL). */
  endpoint: string;
  /** The local issuer: discovery, JWKS, POST /mint. */
  issuerUrl: string;
  /** moto itself, bypassing the gateway (admin use only). */
  motoEndpoint: string;
  /** Process ids and ports of everything the sandbox runs (moto is a child process). */
  processes: { motoPid: number; ports: { gateway: number; issuer: number; moto: number } };
  region: string;
  accountId: string;
  stackName: string;
  providerArn: string;
  /** The `iss` / `aud` the configured team's tokens carry. */
  tokenIssuer: string;
  audience: string;
  /** One role per trusted environment, as deployed. */
  roleArns: Partial<Record<VercelEnvironment, string>>;
  /**
   * Admin clients for moto itself in one of `extraAccounts` (not through the gateway), e.g. for
   * `deployStack`; the caller destroys them. Throws for an account the sandbox was not given.
   */
  accountClients(account: string): ReturnType<typeof motoClients>;
  bucket: string;
  /** Each environment's app resources (infra/stack/src/app-resources.ts): variable → name. */
  appVariables: Record<string, Record<string, string>>;
  tokenFile: string;
  appEnvFile: string;
  /** The web app's environment (also written to appEnvFile). */
  appEnv: Record<string, string>;
  mintToken(options?: MintOptions): Promise<string>;
  /** The GitHub Actions deploy role (KEYLESS_GITHUB_REPOSITORY set), as deployed. */
  githubDeployRoleArn?: string;
  /** A GitHub Actions-shaped token for the deploy role (or a near miss of it). */
  mintGithubToken(options?: GithubMintOptions): Promise<string>;
  /** Replaces the token file's content (e.g. with a refused token); the refresh timer keeps running. */
  writeTokenFile(token: string): Promise<void>;
  faults: {
    inject(spec: FaultSpec): ActiveFault;
    clear(): void;
    list(): ActiveFault[];
  };
  stats(): GatewayStats;
  resetStats(): void;
  cloudTrail: { events(): CloudTrailEventRecord[]; clear(): void };
  /**
   * The sandbox's Vercel API (vercel-api.ts): the configured project, as a project imported by
   * hand starts (no variables, OIDC federation off, no root directory), for `vercel:env --sandbox`
   * and `verify --sandbox --vercel`. Its token is SANDBOX_VERCEL_TOKEN.
   */
  vercelApi: Pick<FakeVercel, "url" | "envs" | "settings">;
  /**
   * The sandbox's GitHub API (github-api.ts): the configured repository (KEYLESS_GITHUB_REPOSITORY,
   * else acme/keyless) with GitHub's default `sub`, for `github:oidc --sandbox` and
   * `verify --sandbox --github`; mintGithubToken writes the `sub` its customization says. Its token
   * is SANDBOX_GITHUB_TOKEN.
   */
  githubApi: Pick<FakeGithub, "url" | "customizations">;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const log = options.log ?? (() => {});
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  // No moto, no sandbox: say so (one line, with the install command) before any slow work.
  const motoCommand = resolveMotoCommand({ python: options.python });
  await prepareStateDir(stateDir);

  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    // Three things at once: moto boots, the stack is synthesized (or taken from the cache) in a
    // child process, and this one makes the signing key.
    const motoStarting = startMoto({ port: options.ports?.moto, command: motoCommand });
    cleanups.push(async () => (await motoStarting.catch(() => undefined))?.stop());
    const synthesis = synthesizeSandbox(options.env, stateDir);
    cleanups.push(() => synthesis.cancel());
    const keyPair = generateSigningKey();
    // Either failing (moto missing, a configuration error) ends the start at once.
    const [moto, synthesized] = await Promise.all([motoStarting, synthesis.result]);
    log(`moto listening on ${moto.endpoint}`);
    const { config } = synthesized;
    const issuer = await createLocalIssuer(
      {
        mode: config.issuerMode,
        team: config.teamSlug,
        teamId: config.teamId ?? sampleVercelId("team", config.teamSlug),
        project: config.projectName,
        projectId: config.projectId ?? sampleVercelId("prj", config.projectName),
      },
      lifetime,
      await keyPair,
    );
    const setupClients = motoClients(moto.endpoint, config.region);
    const deployed = await deployStack(synthesized, setupClients);
    log(`stack ${deployed.stackName} deployed into moto`);
    if (options.seed !== false) {
      await seedBucket(setupClients.s3, deployed.bucket, config.environments);
    }
    const accountAdmins = await createAccountAdmins(
      moto.endpoint,
      config.region,
      options.extraAccounts ?? [],
      SANDBOX_ACCOUNT,
    );
    const adminCredentials =
      options.enforceIam === false ? undefined : await enforceIam(moto.endpoint, setupClients.iam);
    if (adminCredentials) log("moto checks IAM on every request from here on");
    const clients = motoClients(moto.endpoint, config.region, adminCredentials);
    const accountIams = new Map(
      [...accountAdmins].map(([account, admin]) => [
        account,
        motoClients(moto.endpoint, config.region, admin).iam,
      ]),
    );
    cleanups.push(() => {
      for (const iam of accountIams.values()) iam.destroy();
    });

    const issuerServer = await serveIssuer(issuer, options.ports?.issuer);
    cleanups.push(() => issuerServer.close());
    const faults = new FaultInjector();
    const cloudTrail = new CloudTrailStore({ deliveryDelayMs: options.cloudTrailDeliveryDelayMs });
    const gateway = await startGateway({
      port: options.ports?.gateway,
      motoPort: moto.port,
      region: config.region,
      accountId: SANDBOX_ACCOUNT,
      backend: {
        iam: clients.iam,
        jwks: issuer.jwks,
        iamOf: (account) => accountIams.get(account),
      },
      cloudTrail,
      faults,
      log,
      adminCredentials,
      extraStsActions: options.extraStsActions,
      onCall: options.onCall,
      deployment: { stackName: deployed.stackName, facts: deploymentFacts(config) },
      network: options.network,
    });
    cleanups.push(() => gateway.close());
    const vercelApi = await startVercelApiStandIn({
      port: options.ports?.vercelApi,
      token: SANDBOX_VERCEL_TOKEN,
      teamId: config.teamId ?? sampleVercelId("team", config.teamSlug),
      teamSlug: config.teamSlug,
      project: {
        id: config.projectId ?? sampleVercelId("prj", config.projectName),
        name: config.projectName,
      },
      settings: {
        oidcTokenConfig: { enabled: false, issuerMode: "global" },
        rootDirectory: null,
        nodeVersion: "22.x",
      },
    });
    cleanups.push(() => vercelApi.close());
    const githubRepository = config.github?.repository ?? "acme/keyless";
    const githubApi = await startGithubApiStandIn({
      port: options.ports?.githubApi,
      repositories: [sampleGithubRepository(githubRepository)],
    });
    cleanups.push(() => githubApi.close());
    const mintGithub = (mintOptions: GithubMintOptions = {}) => {
      const template = githubApi.subjectTemplate(mintOptions.repository ?? githubRepository);
      const followRepository = mintOptions.claimKeys === undefined && !mintOptions.subjectForm;
      return issuer.mintGithub({
        ...(followRepository ? { claimKeys: template?.claimKeys } : {}),
        ...mintOptions,
        repository: mintOptions.repository ?? template?.repository ?? githubRepository,
      });
    };

    const tokenFile = join(stateDir, TOKEN_FILE);
    const appEnvFile = join(stateDir, APP_ENV_FILE);
    const writeTokenFile = (token: string) => writePrivateFile(tokenFile, token);
    // The app runs as the production deployment, or the first environment trusted without one.
    const appEnvironment = config.environments.includes("production")
      ? "production"
      : (config.environments[0] ?? "production");
    const tokenKeeper = await keepTokenFileFresh(
      issuer,
      writeTokenFile,
      (error) => log(`token refresh failed: ${String(error)}`),
      appEnvironment,
      // web-identity-file mode makes no exchange: with a custom audience the file holds the
      // token as Vercel's exchange would return it (team issuer: the only mode allowed with it).
      config.audience === config.teamAudience ? undefined : config.audience,
    );
    cleanups.push(() => tokenKeeper.stop());
    cleanups.push(() => clearStateFiles(stateDir));

    const appRole = deployed.roleArns[appEnvironment] ?? "";
    const appEnv = {
      AWS_REGION: config.region,
      AWS_ROLE_ARN: appRole,
      AWS_ENDPOINT_URL: gateway.url,
      S3_BUCKET: deployed.bucket,
      // The role's own part of the bucket (the stack's environmentDataPrefix; not imported here,
      // which would load aws-cdk-lib into the long-running process).
      S3_PREFIX: `${appEnvironment}/`,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      // Tells the app's page it runs on the sandbox, and as which Vercel environment.
      KEYLESS_SANDBOX: appEnvironment,
      // The app's own resources (infra/stack/src/app-resources.ts): this environment's.
      ...deployed.appVariables[appEnvironment],
    };
    await writePrivateFile(
      appEnvFile,
      formatDotenv(appEnv, [
        "Written by `pnpm sandbox` for the web app; removed when the sandbox stops.",
        "The token file is a local token for the sandbox only, refreshed before it expires.",
      ]),
    );
    const state: SandboxState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoint: gateway.url,
      issuerUrl: issuerServer.url,
      motoEndpoint: moto.endpoint,
      motoPid: moto.pid,
      region: config.region,
      stackName: deployed.stackName,
      roleArns: deployed.roleArns as Record<string, string>,
      bucket: deployed.bucket,
      tokenFile,
      appEnvFile,
      vercelApiUrl: vercelApi.url,
      vercelProject: { teamSlug: config.teamSlug, name: config.projectName },
      githubApiUrl: githubApi.url,
      appVariables: deployed.appVariables as Record<string, Record<string, string>>,
    };
    await writePrivateFile(join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);

    let stopping: Promise<void> | undefined;
    return {
      endpoint: gateway.url,
      issuerUrl: issuerServer.url,
      motoEndpoint: moto.endpoint,
      processes: {
        motoPid: moto.pid,
        ports: { gateway: gateway.port, issuer: issuerServer.port, moto: moto.port },
      },
      region: config.region,
      accountId: SANDBOX_ACCOUNT,
      stackName: deployed.stackName,
      providerArn: deployed.providerArn,
      tokenIssuer: config.issuerUrl,
      audience: config.audience,
      roleArns: deployed.roleArns,
      accountClients: (account) => {
        const admin = accountAdmins.get(account);
        if (!admin) {
          throw new Error(
            `the sandbox has no account ${account}; start it with extraAccounts: ["${account}"]`,
          );
        }
        return motoClients(moto.endpoint, config.region, admin);
      },
      bucket: deployed.bucket,
      appVariables: deployed.appVariables as Record<string, Record<string, string>>,
      tokenFile,
      appEnvFile,
      appEnv,
      mintToken: async (mintOptions) => (await issuer.mint(mintOptions)).token,
      githubDeployRoleArn: deployed.githubDeployRoleArn,
      mintGithubToken: async (mintOptions) => (await mintGithub(mintOptions)).token,
      writeTokenFile,
      faults: {
        inject: (spec) => faults.inject(spec),
        clear: () => faults.clear(),
        list: () => faults.list(),
      },
      stats: () => gateway.stats(),
      resetStats: () => gateway.resetStats(),
      cloudTrail: { events: () => cloudTrail.events(), clear: () => cloudTrail.clear() },
      vercelApi: { url: vercelApi.url, envs: vercelApi.envs, settings: vercelApi.settings },
      githubApi: { url: githubApi.url, customizations: githubApi.customizations },
      stop: () => {
        stopping ??= runCleanups();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/**
 * The configured repository as the GitHub API stand-in holds it: the ids its spelling gives
 * (owner@id/repo@id, a repository GitHub writes immutable subjects for), else sample ones — the
 * same the sandbox's GitHub tokens carry.
 */
function sampleGithubRepository(spelled: string): FakeGithubRepository {
  const [ownerPart = "", repoPart = ""] = spelled.split("/");
  const [owner = "", ownerId] = ownerPart.split("@");
  const [name = "", id] = repoPart.split("@");
  return {
    owner,
    name,
    ownerId: Number(ownerId ?? 1000001),
    id: Number(id ?? 2000002),
    immutableByDefault: ownerId !== undefined,
  };
}
