// What `@repo/aws-auth/client-config` and `/provider` resolve to in Edge bundles (the `edge-light`
// export condition Next.js uses for the Edge runtime): every entry point throws the explained
// refusal at call time, instead of a build failure on node:fs or, later, the bare "The
// 'x-vercel-oidc-token' header is missing from the request." Same names as the Node entries.
import { ExplainedAwsError } from "./explained-error";
import { explainOidcTokenUnavailable, OidcTokenUnavailableError } from "./oidc-context";

function refuse(): never {
  const reason = new OidcTokenUnavailableError("edge-runtime");
  throw new ExplainedAwsError(
    { ...explainOidcTokenUnavailable(reason), detail: reason.message },
    { cause: reason },
  );
}

export const awsClientConfig = refuse;
export const s3ClientConfig = refuse;
export const getCredentialProvider = refuse;
export const processCredentials = refuse;
export const createCredentialProvider = refuse;
export const resolveForProvider = refuse;
export function resetCredentialProvider(): void {}
