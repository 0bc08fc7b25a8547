import type { Agent } from "node:http";
import type { DeploymentFacts } from "@repo/infra/deployment-facts";
import type { CloudTrailStore, LookupRateLimiter } from "../cloudtrail";
import type { FaultInjector } from "../faults";
import type { IssuedCredentials, SigningCredentials } from "../sigv4";
import type { WebIdentityBackend } from "../sts";

export interface GatewayOptions {
  port?: number;
  motoPort: number;
  region: string;
  accountId: string;
  backend: WebIdentityBackend;
  cloudTrail: CloudTrailStore;
  faults: FaultInjector;
  /** One line per STS exchange (never a token). */
  log?: (line: string) => void;
  /**
   * moto's IAM enforcement is on and this is the sandbox's admin key: the gateway signs what it
   * forwards on the sandbox's behalf with it, and turns presigned S3 URLs into header-signed calls.
   */
  adminCredentials?: SigningCredentials;
  /**
   * STS actions served besides AssumeRoleWithWebIdentity and GetCallerIdentity. Real STS would
   * answer them; the sandbox refuses them unless a test opts in (moto would answer them unchecked).
   * @default none
   */
  extraStsActions?: readonly string[];
  /** Told of every call forwarded or answered here, AssumeRoleWithWebIdentity aside. */
  onCall?: (call: GatewayCall) => void;
  /**
   * What the deployed stack follows from (`deploymentFacts` of the configuration the sandbox
   * started with), for `pnpm infra:deploy --sandbox`: POST /_sandbox/deployment compares.
   */
  deployment?: { stackName: string; facts: DeploymentFacts };
  /**
   * `pnpm sandbox --network`: the AWS endpoint on every interface, answering the machine's own
   * addresses too. The admin API (/_sandbox/) keeps to loopback names. @default false
   */
  network?: boolean;
}

/** One AWS call as the gateway saw it (query-protocol and JSON-target calls; not S3's REST). */
export interface GatewayCall {
  /** From the SigV4 scope, e.g. cloudformation, iam, cloudtrail. */
  service: string;
  /** e.g. DescribeStacks, or LookupEvents. */
  action: string;
  accessKeyId: string;
  /** The query-protocol parameters (StackName, RoleName, …); empty for JSON calls. */
  params: Record<string, string>;
}

export interface GatewayStats {
  /** Every AssumeRoleWithWebIdentity call that reached the gateway (faulted ones included). */
  exchanges: number;
  exchangesSucceeded: number;
  exchangesRefused: number;
  /** STS calls (any action) answered by an injected fault instead. */
  stsFaulted: number;
  /** STS calls other than AssumeRoleWithWebIdentity (GetCallerIdentity, …). */
  stsOtherCalls: number;
  cloudTrailLookups: number;
  cloudTrailThrottled: number;
  passedThrough: number;
}

export const emptyStats = (): GatewayStats => ({
  exchanges: 0,
  exchangesSucceeded: 0,
  exchangesRefused: 0,
  stsFaulted: 0,
  stsOtherCalls: 0,
  cloudTrailLookups: 0,
  cloudTrailThrottled: 0,
  passedThrough: 0,
});

export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/**
 * What one running gateway shares between the parts that serve its requests: startGateway makes
 * one and hands the same object to each of them.
 */
export interface GatewayContext {
  readonly options: GatewayOptions;
  readonly log: (line: string) => void;
  /**
   * Replaced by a new object on POST /_sandbox/stats/reset and resetStats(): always reach it as
   * `context.stats` at the moment of counting, never keep a reference to it.
   */
  stats: GatewayStats;
  /** CloudTrail LookupEvents' rate limit, per caller. */
  readonly limiter: LookupRateLimiter;
  /** The kept-alive connections to moto. */
  readonly upstreamAgent: Agent;
  /** Credentials moto issued through this gateway (for presigned URLs and re-signing). */
  readonly issuedKeys: IssuedCredentials;
  /** `options.adminCredentials`: set when moto's IAM enforcement is on. */
  readonly admin: SigningCredentials | undefined;
  /** moto's host:port, as signed into what the gateway signs for it. */
  readonly motoHost: string;
}
