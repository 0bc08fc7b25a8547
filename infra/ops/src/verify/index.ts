// `pnpm verify`: proves a deployment works — credentials, stack, OIDC provider, trust, permissions,
// optionally the app's /api/health, and CloudTrail entries naming the deployment. The checks run
// in that order; each is a pure function of what fetch.ts read, so this file only wires them.

import type { ExplainedError } from "@repo/aws-auth/explain";
import type { InfraConfig, InfraEnv } from "@repo/infra/config";
import { githubAppBoundaryName } from "@repo/infra/github-naming";
import { oidcProviderArn } from "@repo/infra/trust/evaluate";
import {
  checkCredentials,
  checkHealth,
  checkPermissions,
  checkProvider,
  checkStack,
} from "./checks";
import {
  checkCloudTrail,
  type PollClock,
  type PollProgress,
  pollCloudTrail,
  publicEvent,
  type TrailEvent,
} from "./cloudtrail";
import {
  cloudTrailLookup,
  createVerifyClients,
  credentialSource,
  describeAwsFailure,
  fetchHealth,
  fetchIdentity,
  fetchPermissions,
  fetchProviders,
  fetchStack,
  fetchTrust,
  type VerifyClients,
} from "./fetch";
import { checkGithubOidc, type githubOidcReader } from "./github-oidc";
import { checkTrust } from "./trust";
import type { CheckName, CheckResult, VerifyReport } from "./types";
import { checkVercelProject, type VercelProjectFacts } from "./vercel-project";

export type { CheckName, CheckResult, VerifyEvent, VerifyReport } from "./types";
export { CHECK_NAMES } from "./types";

export interface VerifyOptions {
  /** Look for CloudTrail events this far back. */
  sinceMs: number;
  /** Keep polling CloudTrail this long for a successful event. */
  waitMs: number;
  /**
   * Skip the wait when the health check failed: the default 5 minutes of --url exist for the
   * exchange a healthy app makes, which a failing one did not make.
   */
  waitOnlyIfHealthy?: boolean;
  /** The deployed app, for check 6. */
  url?: string;
  /** CloudTrail shows events at once (the local sandbox): its advice says so. */
  eventsAtOnce?: boolean;
}

export interface VerifyDeps {
  config: InfraConfig;
  /** The infra environment (repo-root .env under the process env): AWS_ENDPOINT_URL, keys. */
  env: InfraEnv;
  clients?: VerifyClients;
  /** Fixed credentials instead of the profile / default chain, and how to name them. */
  credentials?: { value: { accessKeyId: string; secretAccessKey: string }; source: string };
  clock?: PollClock;
  fetch?: typeof fetch;
  onCloudTrailProgress?(progress: PollProgress): void;
  /** --vercel: reads the Vercel project (vercelProjectReader), and the app's Node.js line. */
  vercel?: { read(): Promise<VercelProjectFacts | { error: string }>; nodeVersion: string };
  /** --github: reads the repository's OIDC subject customization (githubOidcReader). */
  github?: ReturnType<typeof githubOidcReader>;
}

/** The report plus what the human renderer shows on top of it. */
export interface VerifyOutcome {
  report: VerifyReport;
  /** The events with explanations for the failed ones. */
  trail: TrailEvent[];
  explanations: Map<string, ExplainedError>;
  context: {
    stackName: string;
    region: string;
    cloudTrailRegion: string;
    endpoint?: string;
    account?: string;
  };
}

const notChecked = (name: CheckName, why: string): CheckResult => ({
  name,
  ok: false,
  detail: `Not checked: ${why}.`,
});

export async function runVerify(options: VerifyOptions, deps: VerifyDeps): Promise<VerifyOutcome> {
  const { config, env } = deps;
  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  const clients =
    deps.clients ??
    createVerifyClients({
      region: config.region,
      profile: config.profile,
      endpoint,
      credentials: deps.credentials?.value,
    });
  const now = (deps.clock ?? { now: Date.now }).now();
  const since = new Date(now - options.sinceMs);
  const checks: CheckResult[] = [];
  const context: VerifyOutcome["context"] = {
    stackName: config.stackName,
    region: config.region,
    cloudTrailRegion: config.region,
    endpoint,
  };
  const finish = (trail: TrailEvent[] = [], explanations = new Map<string, ExplainedError>()) => ({
    report: {
      ok: checks.every((check) => check.ok),
      checks,
      events: trail.map(publicEvent),
    },
    trail,
    explanations,
    context,
  });

  try {
    // Asked first: the app's exchange then has the whole run to reach CloudTrail.
    const health = options.url ? fetchHealth(options.url, deps.fetch) : undefined;
    const vercelFacts = deps.vercel?.read();
    const githubFacts = deps.github?.read();
    const pushVercelCheck = async () => {
      if (deps.vercel && vercelFacts) {
        checks.push(checkVercelProject(await vercelFacts, config, deps.vercel.nodeVersion));
      }
      if (deps.github && githubFacts) {
        checks.push(checkGithubOidc(await githubFacts, deps.github.github));
      }
    };
    const source = deps.credentials?.source ?? credentialSource(env, config.profile);
    const identity = await fetchIdentity(clients, source, endpoint);
    const expectedAccount = config.account
      ? { account: config.account, environments: config.environments }
      : undefined;
    const credentialsCheck = checkCredentials(identity, expectedAccount);
    checks.push(credentialsCheck);
    if (!identity.ok || !credentialsCheck.ok) {
      const why = "needs working AWS credentials of the stack's account (see credentials)";
      checks.push(
        notChecked("stack", why),
        notChecked("oidc-provider", why),
        notChecked("trust-policy", why),
        notChecked("permissions", why),
      );
      if (health) checks.push(checkHealth(await health, []));
      await pushVercelCheck();
      checks.push(notChecked("cloudtrail", why));
      return finish();
    }
    context.account = identity.account;

    const [stackFacts, providerFacts] = await Promise.all([
      fetchStack(clients, config.stackName, endpoint),
      fetchProviders(clients, config.issuerHostPath, endpoint),
    ]);
    const stack = checkStack(stackFacts, config, identity.account);
    const provider = checkProvider(providerFacts, config);
    checks.push(stack.result, provider.result);
    context.cloudTrailRegion = stack.region ?? config.region;

    // The provider the roles must trust: the one found, else the one they should name (in the
    // roles' account, which can differ from the caller's).
    const [, partition, , , roleAccount] = (stack.roles[0]?.arn ?? "").split(":");
    const expectedProvider =
      provider.providerArn ??
      config.existingProviderArn ??
      oidcProviderArn(
        config.issuerUrl,
        roleAccount && /^\d{12}$/.test(roleAccount) ? roleAccount : identity.account,
        partition || "aws",
      );
    const [trustFacts, permissionFacts] = await Promise.all([
      fetchTrust(clients, stack.roles, endpoint),
      fetchPermissions(clients, stack.roles, endpoint),
    ]);
    checks.push(
      checkTrust(trustFacts, config, expectedProvider),
      checkPermissions(
        permissionFacts,
        stack.bucket,
        config.github ? githubAppBoundaryName(config.stackName) : undefined,
        stack.appResources,
      ),
    );
    let waitMs = options.waitMs;
    if (health) {
      const healthCheck = checkHealth(await health, stack.roles);
      checks.push(healthCheck);
      if (!healthCheck.ok && options.waitOnlyIfHealthy) waitMs = 0;
    }
    await pushVercelCheck();

    if (stack.roles.length === 0) {
      checks.push(notChecked("cloudtrail", "no roles to look for (see stack)"));
      return finish();
    }
    const roleArns = new Set(stack.roles.map((role) => role.arn));
    const poll = await pollCloudTrail({
      lookup: cloudTrailLookup(clients, context.cloudTrailRegion),
      since,
      waitMs,
      relevant: (event) => event.roleArn !== null && roleArns.has(event.roleArn),
      done: (events) => events.some((event) => event.errorCode === null),
      clock: deps.clock,
      onProgress: deps.onCloudTrailProgress,
    });
    const trail = checkCloudTrail(poll, {
      roles: stack.roles,
      config,
      region: context.cloudTrailRegion,
      since,
      waitMs,
      eventsAtOnce: options.eventsAtOnce,
      describeError: (error) => describeAwsFailure(error, "cloudtrail:LookupEvents", endpoint),
    });
    checks.push(trail.result);
    return finish(trail.events, trail.explanations);
  } finally {
    if (!deps.clients) clients.destroy();
  }
}
