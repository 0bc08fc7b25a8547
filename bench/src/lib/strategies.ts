import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { fromWebToken } from "@aws-sdk/credential-providers";
import { awsClientConfig, s3ClientConfig } from "@repo/aws-auth/client-config";
import { resetCredentialProvider, type SharedCredentialProvider } from "@repo/aws-auth/provider";
import { awsCredentialsProvider } from "@vercel/oidc-aws-credentials-provider";

/** Where a strategy's clients send their calls and their STS exchanges. */
export interface Target {
  region: string;
  /** S3 and STS data-plane calls. */
  endpoint: string;
  /** AssumeRoleWithWebIdentity (may differ: a counting or lifetime-cutting proxy). */
  stsEndpoint: string;
  roleArn: string;
  /** The Vercel OIDC token, as `vercel env pull` leaves it in VERCEL_OIDC_TOKEN. */
  token: string;
}

export interface Clients {
  s3: S3Client;
  sts: STSClient;
}

/** One way an app can wire credentials into its AWS clients. */
export interface Strategy {
  id: "ours" | "per-request" | "vercel-provider" | "sdk-cache";
  label: string;
  /** The clients a request handler uses (module-scope strategies return the same pair). */
  clients(): Clients;
  /** Our provider, for its own counters. */
  provider?: SharedCredentialProvider;
  close(): void;
}

export const STRATEGY_LABELS: Record<Strategy["id"], string> = {
  ours: "ours: @repo/aws-auth, one provider shared by both clients",
  "per-request": "(a) clients created per request (fromWebToken)",
  "vercel-provider": "(b) @vercel/oidc-aws-credentials-provider in two module-scope clients",
  "sdk-cache": "(c) fromWebToken in two module-scope clients (SDK's own caching)",
};

const SESSION_NAME = "keyless-bench";
// Without throwOnRequestTimeout the SDK only logs a warning on a timed-out request and keeps waiting.
const DATA_PLANE_HANDLER = { requestTimeout: 10_000, throwOnRequestTimeout: true };

function clientConfig(target: Target) {
  return {
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: true,
    requestHandler: DATA_PLANE_HANDLER,
  };
}

function webToken(target: Target) {
  return fromWebToken({
    roleArn: target.roleArn,
    webIdentityToken: target.token,
    roleSessionName: SESSION_NAME,
    clientConfig: { region: target.region, endpoint: target.stsEndpoint },
  });
}

/** The environment our app would have: `vercel env pull` plus the sandbox's endpoint variables. */
export function oursEnv(target: Target): Record<string, string> {
  return {
    AWS_REGION: target.region,
    AWS_ROLE_ARN: target.roleArn,
    VERCEL_OIDC_TOKEN: target.token,
    AWS_ENDPOINT_URL: target.endpoint,
    AWS_ENDPOINT_URL_STS: target.stsEndpoint,
    AWS_ROLE_SESSION_NAME: SESSION_NAME,
  };
}

export function makeStrategy(id: Strategy["id"], target: Target): Strategy {
  const label = STRATEGY_LABELS[id];
  switch (id) {
    case "ours": {
      // Exactly what the web app does: one provider for every client of the process.
      resetCredentialProvider();
      const env = oursEnv(target);
      const config = awsClientConfig(env);
      const pair = {
        s3: new S3Client({ ...s3ClientConfig(env), requestHandler: DATA_PLANE_HANDLER }),
        sts: new STSClient({ ...config, requestHandler: DATA_PLANE_HANDLER }),
      };
      return {
        id,
        label,
        clients: () => pair,
        provider: config.credentials,
        close: () => {
          pair.s3.destroy();
          pair.sts.destroy();
          resetCredentialProvider();
        },
      };
    }
    case "per-request": {
      const made: Clients[] = [];
      return {
        id,
        label,
        clients: () => {
          const pair = {
            s3: new S3Client({ ...clientConfig(target), credentials: webToken(target) }),
            sts: new STSClient({ ...clientConfig(target), credentials: webToken(target) }),
          };
          made.push(pair);
          // Keep only a few around to destroy; the rest are garbage once their call is done.
          if (made.length > 64) for (const old of made.splice(0, 32)) destroy(old);
          return pair;
        },
        close: () => {
          for (const pair of made.splice(0)) destroy(pair);
        },
      };
    }
    case "vercel-provider": {
      // It reads the token through @vercel/oidc: the request header on Vercel, else this variable.
      process.env.VERCEL_OIDC_TOKEN = target.token;
      const credentials = () =>
        awsCredentialsProvider({
          roleArn: target.roleArn,
          roleSessionName: SESSION_NAME,
          clientConfig: { region: target.region, endpoint: target.stsEndpoint },
        });
      const pair = {
        s3: new S3Client({ ...clientConfig(target), credentials: credentials() }),
        sts: new STSClient({ ...clientConfig(target), credentials: credentials() }),
      };
      return {
        id,
        label,
        clients: () => pair,
        close: () => {
          destroy(pair);
          delete process.env.VERCEL_OIDC_TOKEN;
        },
      };
    }
    case "sdk-cache": {
      const pair = {
        s3: new S3Client({ ...clientConfig(target), credentials: webToken(target) }),
        sts: new STSClient({ ...clientConfig(target), credentials: webToken(target) }),
      };
      return { id, label, clients: () => pair, close: () => destroy(pair) };
    }
  }
}

function destroy(pair: Clients) {
  pair.s3.destroy();
  pair.sts.destroy();
}

export const ALL_STRATEGIES: Strategy["id"][] = [
  "ours",
  "per-request",
  "vercel-provider",
  "sdk-cache",
];
