import { explainAudienceExchange, isAudienceExchangeError } from "./audience";
import { type ExplainedError, isExplainedAwsError, withDocs } from "./explained-error";
import type { CredentialResolution, EnvLike } from "./mode";
import { explainOidcTokenUnavailable, isOidcTokenUnavailable } from "./oidc-context";
import { currentTokenSummary, type TokenSummary } from "./token";

// The error type lives in its own module so the Edge entry can throw it without loading the
// Node-only parts of this one; re-exported here, where callers have always found it.
export { ExplainedAwsError, type ExplainedError, isExplainedAwsError } from "./explained-error";

export interface ExplainContext {
  resolution?: Pick<CredentialResolution, "mode" | "tokenFile" | "roleArn" | "region" | "onVercel">;
  token?: TokenSummary;
  expected?: { sub?: string; aud?: string };
  /** Where VERCEL_OIDC_TOKEN is read from to summarize the token. Default process.env. */
  env?: EnvLike;
}

const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const SECRET_ASSIGNMENT = /((?:secret|session)[_ ]?(?:access)?[_ ]?(?:key|token)\s*[=:]\s*)\S+/gi;
// A signed or presigned URL quoted in an error carries the session token and the key id.
const SIGNED_URL_PART = /(X-Amz-(?:Security-Token|Credential|Signature)=)[^&\s"']+/gi;
const ACCESS_KEY_ID = /\b(?:ASIA|AKIA)[A-Z0-9]{16}\b/g;
// The same secrets as STS and the SDK serialize them: a JSON member ("SecretAccessKey": "…",
// "sessionToken": "…") and an XML element (<SessionToken>…</SessionToken>).
const SECRET_JSON_MEMBER =
  /("\w*(?:secret[_-]?(?:access[_-]?)?key|session[_-]?token)"\s*:\s*")(?:[^"\\]|\\.)*"/gi;
const SECRET_XML_ELEMENT = /(<((?:\w+:)?(?:SecretAccessKey|SessionToken))>)[^<]*(<\/\2>)/gi;

/** Removes anything token-shaped or secret-shaped from a message before it is shown. */
export function redact(message: string): string {
  return message
    .replace(JWT, "[token redacted]")
    .replace(SECRET_JSON_MEMBER, '$1[redacted]"')
    .replace(SECRET_XML_ELEMENT, "$1[redacted]$3")
    .replace(SECRET_ASSIGNMENT, "$1[redacted]")
    .replace(SIGNED_URL_PART, "$1[redacted]")
    .replace(ACCESS_KEY_ID, "[key id redacted]");
}

interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

const asShape = (error: unknown): ErrorShape =>
  typeof error === "object" && error !== null
    ? (error as ErrorShape)
    : { message: String(error ?? "unknown error") };

/**
 * Turns any error from STS, S3, the SDK's providers or @vercel/oidc into title, cause and fixes,
 * with the link to where its code is documented.
 */
export function explainAwsError(error: unknown, context: ExplainContext = {}): ExplainedError {
  return withDocs(explain(error, context));
}

function explain(error: unknown, context: ExplainContext): ExplainedError {
  if (isExplainedAwsError(error)) return error.explained;
  if (isOidcTokenUnavailable(error)) {
    // No token was there to read (or it was past exp): nothing token-shaped to summarize.
    return { ...explainOidcTokenUnavailable(error), detail: redact(error.message) };
  }
  if (isAudienceExchangeError(error)) {
    // Vercel's answer may quote what it was sent: redacted like any other message.
    const explained = explainAudienceExchange(error);
    return { ...explained, cause: redact(explained.cause), detail: redact(error.message) };
  }
  const shape = asShape(error);
  const awsCode = shape.name && shape.name !== "Error" ? shape.name : shape.code;
  const message = shape.message ?? "";
  const detail = redact(message);
  const httpStatus = shape.$metadata?.httpStatusCode;
  const resolution = context.resolution;
  const token =
    context.token ??
    (resolution && (resolution.mode === "vercel-oidc" || resolution.mode === "web-identity-file")
      ? currentTokenSummary(resolution, context.env)
      : undefined);
  const base = { awsCode, httpStatus, detail, token, expected: context.expected };
  const is = (pattern: RegExp) => pattern.test(message);
  // The SDK names some modelled errors with an "Exception" suffix (InvalidIdentityToken arrives
  // as InvalidIdentityTokenException): compare without it.
  const bare = awsCode?.replace(/Exception$/, "");
  const codeIs = (code: string) => bare === code.replace(/Exception$/, "");

  if (codeIs("AccessDenied") && is(/AssumeRoleWithWebIdentity/i)) {
    const seen = token?.sub ? ` The token says sub="${token.sub}", aud="${token.aud}".` : "";
    const wanted = context.expected?.sub
      ? ` The role expects sub="${context.expected.sub}", aud="${context.expected.aud}".`
      : "";
    return {
      ...base,
      code: "trust-denied",
      title: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      cause: `The role's trust policy does not accept this token: its sub or aud does not match what the role was created for (another environment, a renamed project or team, a case difference, or the role of another stack).${seen}${wanted}`,
      fixes: [
        "Compare the token's sub (owner:<team-slug>:project:<project-name>:environment:<env>) with the role's trust policy: `pnpm trust:check` shows which role accepts which token.",
        "Use the role made for this environment: a preview deployment needs the preview role, a custom environment such as staging its own (VERCEL_ENVIRONMENTS=production,preview,staging, then `pnpm infra:deploy`).",
        "If you renamed the Vercel team or project, set VERCEL_TEAM_SLUG / VERCEL_PROJECT_NAME to the new names and redeploy the stack: trust is pinned by slug and name, not by id.",
        "Check that AWS_ROLE_ARN in Vercel is the ARN from this stack's outputs, then redeploy the Vercel project.",
      ],
    };
  }
  if (codeIs("InvalidIdentityToken") && is(/No OpenIDConnect provider/i)) {
    return {
      ...base,
      code: "provider-missing",
      title: "Invalid identity token: no OIDC provider for this issuer",
      cause: `AWS has no IAM OIDC provider for the token's issuer${token?.iss ? ` (${token.iss})` : ""} in the role's account. The stack was not deployed to this account, the provider was deleted, or the issuer mode differs (team issuer https://oidc.vercel.com/<team-slug> vs global https://oidc.vercel.com).`,
      fixes: [
        "Deploy the stack into the account of AWS_ROLE_ARN: `pnpm infra:deploy`.",
        "Make VERCEL_ISSUER_MODE match the project's setting in Vercel → Settings → Security (team is recommended), then redeploy the stack.",
        "List the providers: `aws iam list-open-id-connect-providers`.",
      ],
    };
  }
  if (codeIs("InvalidIdentityToken") && is(/audience/i)) {
    return {
      ...base,
      code: "audience-mismatch",
      title: "Invalid identity token: incorrect audience",
      cause: `The token's aud${token?.aud ? ` (${token.aud})` : ""} is not among the OIDC provider's client ids. Vercel's audience is https://vercel.com/<team-slug> — the slug, never the team_… id.`,
      fixes: [
        "Set VERCEL_TEAM_SLUG to the team's URL slug and redeploy the stack, so the provider's client id becomes https://vercel.com/<slug>.",
        "If the provider already existed (OIDC_PROVIDER_ARN), add the audience to it: `aws iam add-client-id-to-open-id-connect-provider`.",
        "If the stack requires a custom audience (VERCEL_OIDC_AUDIENCE in its .env), set the same VERCEL_OIDC_AUDIENCE in the Vercel project so the app exchanges its token for it — or unset it in both.",
      ],
    };
  }
  if (codeIs("ExpiredToken") || is(/token (is )?expired/i)) {
    return {
      ...base,
      code: "token-expired",
      title: "The identity token has expired",
      cause: `STS refused a token past its exp${token?.expiresAt ? ` (${token.expiresAt})` : ""}. Tokens are short-lived: they must be read again for every exchange.`,
      fixes: resolution?.onVercel
        ? [
            "Make sure the token is read per request (never cached at module scope): use this package's shared provider.",
            "Redeploy if this happened during a build.",
          ]
        : [
            "Locally: run `vercel env pull` again for a fresh development token.",
            "With the sandbox: restart `pnpm sandbox`, which keeps its token file fresh.",
          ],
    };
  }
  if (codeIs("InvalidIdentityToken") || is(/invalid identity token/i)) {
    return {
      ...base,
      code: "token-invalid",
      title: "Invalid identity token",
      cause:
        "STS could not use the token (malformed, bad signature, or not a token at all). On Vercel this usually means the app did not get Vercel's OIDC token — typically because AWS_ROLE_ARN is missing, OIDC federation is off, or old keys made the SDK take another path.",
      fixes: [
        "Confirm AWS_ROLE_ARN is set in the Vercel project's environment variables.",
        "Confirm AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY have been removed from the project.",
        "Check that OIDC federation is on (Settings → Security), then redeploy.",
      ],
    };
  }
  if (is(/x-vercel-oidc-token/i)) {
    return {
      ...base,
      code: "oidc-header-missing",
      title: "No Vercel OIDC token in this context",
      cause:
        "The token comes with each request as the x-vercel-oidc-token header. It is not there in the Edge runtime, in middleware, at module scope (outside a request), or when OIDC federation is off.",
      fixes: [
        "Call AWS only from route handlers, server components or server actions on the Node runtime (export const runtime = 'nodejs').",
        "Don't call AWS at module scope: create clients at module scope if you like, but make requests inside a request.",
        "Turn on OIDC federation in Vercel → Project → Settings → Security; locally, run `vercel env pull` for VERCEL_OIDC_TOKEN.",
      ],
    };
  }
  if (
    is(/Could not load credentials from any providers/i) ||
    is(/No credentials returned/i) ||
    is(/Web identity configuration not specified/i)
  ) {
    return {
      ...base,
      code: "no-credentials",
      title: "No credentials returned",
      cause:
        "The AWS SDK found no usable credentials: the variables that select a credential source are missing or incomplete.",
      fixes: [
        "Check that both AWS_REGION and AWS_ROLE_ARN are set in Vercel (or AWS_PROFILE locally).",
        "Check that the stack deployed: `aws cloudformation describe-stacks --stack-name KeylessVercelOidc` should say CREATE_COMPLETE or UPDATE_COMPLETE.",
        "Check that the OIDC provider exists: `aws iam list-open-id-connect-providers`.",
        "Run `pnpm exec aws-auth doctor` to see which mode was chosen and why.",
      ],
    };
  }
  if (codeIs("ProfileNotFound") || is(/Profile .* (could not be found|not found)/i)) {
    return {
      ...base,
      code: "profile-missing",
      title: "AWS profile not found",
      cause: "The profile named by AWS_PROFILE is not in ~/.aws/config or ~/.aws/credentials.",
      fixes: [
        "List your profiles: `aws configure list-profiles`.",
        "Create it: `aws configure sso --profile <name>`.",
      ],
    };
  }
  if (is(/SSO session .* (expired|invalid)|The SSO session|Token is expired.*sso|aws sso login/i)) {
    return {
      ...base,
      code: "sso-expired",
      title: "The AWS SSO session has expired",
      cause: "The profile signs in through IAM Identity Center and its session is over.",
      fixes: ["Sign in again: `aws sso login --profile <name>`."],
    };
  }
  if (codeIs("AccessDenied") || codeIs("Forbidden") || httpStatus === 403) {
    return {
      ...base,
      code: "permission-denied",
      title: "Access denied by the role's permissions",
      cause:
        "The role was assumed (trust is fine), but its permissions policy does not allow this action on this resource — or the bucket belongs to another account or stack.",
      fixes: [
        "Check that S3_BUCKET is the BucketName output of the same stack as AWS_ROLE_ARN.",
        "The stack grants s3:ListBucket on the bucket and s3:GetObject/PutObject/DeleteObject on its objects only; add what your app needs in the construct and redeploy.",
      ],
    };
  }
  if (codeIs("NoSuchBucket")) {
    return {
      ...base,
      code: "bucket-missing",
      title: "The bucket does not exist",
      cause: "S3_BUCKET names a bucket that is not there in this account and region.",
      fixes: [
        "Set S3_BUCKET to the BucketName output of the stack (`pnpm infra:deploy` prints it).",
      ],
    };
  }
  if (codeIs("Throttling")) {
    const region = resolution?.region ?? "its region";
    return {
      ...base,
      code: "sts-throttled",
      title: "AWS STS is throttling this account",
      cause: `STS answered Throttling (Rate exceeded) to the credential exchange, again after the retries: the account's STS request rate in ${region} is used up — many instances starting or refreshing at once, or other callers of STS in the same account and region.`,
      fixes: [
        "Try again in a moment: instances that already hold credentials keep serving them.",
        `Ask for a higher AWS STS request-rate quota for this account in ${region} (Service Quotas console, or AWS Support where the quota is not listed there).`,
        "Fewer exchanges: a longer session (the role's MaxSessionDuration and durationSeconds) means one exchange per instance per longer lifetime.",
        "Functions in several regions: give each its regional STS endpoint (AWS_REGION set per function), so each region's quota applies.",
      ],
    };
  }
  if (
    codeIs("IDPCommunicationError") ||
    codeIs("TimeoutError") ||
    (httpStatus !== undefined && httpStatus >= 500) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|socket hang up|timed? ?out/i.test(
      `${shape.code ?? ""} ${message}`,
    )
  ) {
    return {
      ...base,
      code: "aws-unreachable",
      title: "AWS did not answer",
      cause:
        "The request failed after the SDK's retries: a network error, a timeout, throttling or an AWS-side error. Nothing is wrong with the configuration as far as this error tells.",
      fixes: [
        "Try again in a moment; the next request re-attempts the exchange.",
        "With the sandbox, check that `pnpm sandbox` is running and AWS_ENDPOINT_URL points at it.",
      ],
    };
  }
  return {
    ...base,
    code: "unknown",
    title: awsCode ? `AWS request failed (${awsCode})` : "AWS request failed",
    cause: detail || "The error carried no message.",
    fixes: [
      "Run `pnpm exec aws-auth doctor` for the credential mode, findings and caller identity.",
    ],
  };
}
