import { randomUUID } from "node:crypto";
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  type IAMClient,
  ListOpenIDConnectProvidersCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import {
  contextFromClaims,
  evaluateTrustPolicy,
  issuerHostPath,
  type PolicyDocument,
} from "@repo/infra/trust/evaluate";
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { escapeXml } from "./http";

/**
 * AssumeRoleWithWebIdentity as IAM decides it, in front of moto (which accepts any token and reads
 * no trust policy). Checks run in IAM's order: token shape and algorithm, provider for `iss`,
 * signature, expiry (5 minutes of clock skew), audience, then the role's trust policy. Refusals
 * carry STS's codes, HTTP statuses and messages so SDK error names match real AWS.
 */

const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";
const CLOCK_SKEW_SECONDS = 300;
export const ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity";

/** An STS error: `code` is the wire code (the SDK maps InvalidIdentityToken → …Exception). */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
  }

  /** The name the AWS SDK gives this error, which CloudTrail also logs as errorCode. */
  get sdkName(): string {
    return SDK_ERROR_NAMES[this.code] ?? this.code;
  }
}

const SDK_ERROR_NAMES: Record<string, string> = {
  InvalidIdentityToken: "InvalidIdentityTokenException",
  IDPRejectedClaim: "IDPRejectedClaimException",
  IDPCommunicationError: "IDPCommunicationErrorException",
};

export const accessDenied = () =>
  new StsError("AccessDenied", `Not authorized to perform ${ASSUME_ROLE_WITH_WEB_IDENTITY}`, 403);
export const internalFailure = () =>
  new StsError("InternalFailure", "An internal error occurred", 500, "Receiver");
const invalidToken = (message: string) => new StsError("InvalidIdentityToken", message);
const validationError = (message: string) => new StsError("ValidationError", message);

export function stsErrorXml(error: StsError, requestId: string): string {
  return [
    `<ErrorResponse xmlns="${STS_NAMESPACE}">`,
    "  <Error>",
    `    <Type>${error.type}</Type>`,
    `    <Code>${escapeXml(error.code)}</Code>`,
    `    <Message>${escapeXml(error.message)}</Message>`,
    "  </Error>",
    `  <RequestId>${requestId}</RequestId>`,
    "</ErrorResponse>",
    "",
  ].join("\n");
}

export interface WebIdentityBackend {
  /** moto's IAM: providers and roles as deployed. */
  iam: IAMClient;
  /**
   * The IAM of another moto account (`startSandbox({ extraAccounts })`), when the sandbox has it:
   * a role's provider and trust are looked up in the role's own account, as STS does.
   */
  iamOf?(account: string): IAMClient | undefined;
  /** The sandbox issuer's public keys. */
  jwks: JSONWebKeySet;
}

export interface WebIdentityRequest {
  roleArn: string | undefined;
  roleSessionName: string | undefined;
  token: string | undefined;
  durationSeconds: string | undefined;
}

/** What the checks learned, for the CloudTrail event (filled in as far as they got). */
export interface WebIdentityFacts {
  subject?: string;
  audience?: string;
  providerArn?: string;
  /** Why the trust policy refused, for the sandbox log (AWS never says). */
  trustReason?: string;
}

export interface ApprovedExchange {
  /** The role's unique id (AROA…), which prefixes the assumed-role id. */
  roleId: string;
  subject: string;
  audience: string;
  providerArn: string;
  durationSeconds: number | undefined;
}

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** The account a role ARN names, if it is one. */
export const roleAccount = (roleArn: string): string | undefined =>
  ROLE_ARN.test(roleArn) ? roleArn.split(":")[4] : undefined;

/**
 * Runs every check; resolves when moto may issue the credentials, throws StsError otherwise.
 * `facts` is filled as the checks learn things, so a refusal is still logged with what was known.
 */
export async function approveWebIdentity(
  request: WebIdentityRequest,
  backend: WebIdentityBackend,
  facts: WebIdentityFacts,
  now = Date.now(),
): Promise<ApprovedExchange> {
  const { roleArn, roleSessionName, token } = request;
  for (const [name, value] of [
    ["roleArn", roleArn],
    ["roleSessionName", roleSessionName],
    ["webIdentityToken", token],
  ] as const) {
    if (!value) {
      throw validationError(
        `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
      );
    }
  }
  if (!SESSION_NAME.test(roleSessionName as string)) {
    throw validationError(
      `1 validation error detected: Value '${roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
    );
  }
  const durationSeconds = parseDuration(request.durationSeconds);

  const claims = decodeToken(token as string);
  facts.subject = typeof claims.sub === "string" ? claims.sub : undefined;
  facts.audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;

  const issuer = claims.iss;
  if (typeof issuer !== "string" || !issuer.startsWith("https://")) {
    throw invalidToken("The web identity token has no valid https iss claim");
  }
  const providerHostPath = issuerHostPath(issuer);
  const iam = backend.iamOf?.(roleAccount(roleArn as string) ?? "") ?? backend.iam;
  // IAM matches `iss` to the provider URL exactly: a trailing slash or other spelling is another issuer.
  const exact = issuer === `https://${providerHostPath}`;
  const provider = exact ? await findProvider(iam, providerHostPath) : undefined;
  if (!provider) {
    throw invalidToken(`No OpenIDConnect provider found in your account for ${issuer}`);
  }
  facts.providerArn = provider.arn;

  // Every provider in the sandbox's IAM stands for Vercel's issuer, whose keys the sandbox holds.
  try {
    await jwtVerify(token as string, createLocalJWKSet(backend.jwks), {
      algorithms: ["RS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ["exp", "iat", "sub", "aud"],
    });
  } catch (error) {
    throw tokenVerificationError(error, claims, now);
  }

  // jose leaves a future `iat` alone when nbf is fine; a token cannot be issued in the future.
  if (typeof claims.iat === "number" && claims.iat > Math.floor(now / 1000) + CLOCK_SKEW_SECONDS) {
    throw invalidToken(
      `Token is not yet valid: current date/time ${Math.floor(now / 1000)} must be after the issued-at date/time ${claims.iat}`,
    );
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const audience = audiences.find((candidate) => provider.clientIds.includes(candidate as string));
  if (!audience) throw invalidToken("Incorrect token audience");
  facts.audience = audience as string;

  const role = await getRole(iam, roleArn as string);
  if (!role) {
    facts.trustReason = `role ${roleArn} does not exist`;
    throw accessDenied();
  }
  // The same evaluator as `pnpm trust:check`, on the role as deployed.
  const decision = evaluateTrustPolicy(role.trustPolicy, {
    principal: provider.arn,
    action: ASSUME_ROLE_WITH_WEB_IDENTITY,
    context: contextFromClaims(providerHostPath, claims),
  });
  if (!decision.allowed) {
    facts.trustReason = decision.reason;
    throw accessDenied();
  }
  if (durationSeconds !== undefined && durationSeconds > role.maxSessionDuration) {
    throw validationError(
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  }
  return {
    subject: claims.sub as string,
    audience: audience as string,
    providerArn: provider.arn,
    durationSeconds,
    roleId: role.roleId,
  };
}

function parseDuration(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 900 || seconds > 43_200) {
    throw validationError(
      `1 validation error detected: Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
    );
  }
  return seconds;
}

function decodeToken(token: string): JWTPayload {
  let algorithm: unknown;
  let claims: JWTPayload;
  try {
    algorithm = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    throw invalidToken("The web identity token is not a well-formed JWT");
  }
  // IAM accepts asymmetric signatures only: `none` and HMAC (a shared secret) are refused outright.
  if (algorithm !== "RS256") {
    throw invalidToken(
      `The web identity token is signed with ${JSON.stringify(algorithm ?? null)}; the provider's tokens are signed with RS256`,
    );
  }
  return claims;
}

function tokenVerificationError(error: unknown, claims: JWTPayload, now: number): StsError {
  const nowSeconds = Math.floor(now / 1000);
  if (error instanceof joseErrors.JWTExpired) {
    // AWS's wording, including the missing space before the second timestamp.
    return new StsError(
      "ExpiredTokenException",
      `Token expired: current date/time ${nowSeconds} must be before the expiration date/time${claims.exp}`,
    );
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" || error.claim === "iat") {
      return invalidToken(
        `Token is not yet valid: current date/time ${nowSeconds} must be after the not-before date/time ${claims.nbf ?? claims.iat}`,
      );
    }
    return invalidToken(`The web identity token is missing or has an invalid ${error.claim} claim`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return invalidToken(
      "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    );
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return invalidToken("The web identity token's signature could not be verified");
  }
  return invalidToken("The web identity token could not be validated");
}

interface ProviderInfo {
  arn: string;
  clientIds: string[];
}

async function findProvider(iam: IAMClient, hostPath: string): Promise<ProviderInfo | undefined> {
  const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  const arn = listed.OpenIDConnectProviderList?.map((entry) => entry.Arn ?? "").find((candidate) =>
    candidate.endsWith(`:oidc-provider/${hostPath}`),
  );
  if (!arn) return undefined;
  const provider = await iam.send(
    new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }),
  );
  return { arn, clientIds: provider.ClientIDList ?? [] };
}

async function getRole(
  iam: IAMClient,
  roleArn: string,
): Promise<
  { trustPolicy: PolicyDocument | string; maxSessionDuration: number; roleId: string } | undefined
> {
  if (!ROLE_ARN.test(roleArn)) return undefined;
  const roleName = roleArn.split("/").at(-1) as string;
  try {
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    if (!role || role.Arn !== roleArn) return undefined;
    return {
      trustPolicy: role.AssumeRolePolicyDocument ?? '{"Statement":[]}',
      maxSessionDuration: role.MaxSessionDuration ?? 3600,
      roleId: role.RoleId ?? "",
    };
  } catch (error) {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  }
}

/** Adds what real STS returns and moto leaves out, so the app shows the real response. */
export function completeMotoResponse(xml: string, approved: ApprovedExchange): string {
  // moto answers with a fixed placeholder role id; STS uses the role's own.
  const withRoleId = approved.roleId
    ? xml.replace(/<AssumedRoleId>[^:<]*:/, `<AssumedRoleId>${escapeXml(approved.roleId)}:`)
    : xml;
  return withRoleId
    .replace(
      "</Credentials>",
      `</Credentials><SubjectFromWebIdentityToken>${escapeXml(approved.subject)}</SubjectFromWebIdentityToken>`,
    )
    .replace(
      "</AssumeRoleWithWebIdentityResult>",
      `<Provider>${escapeXml(approved.providerArn)}</Provider><Audience>${escapeXml(approved.audience)}</Audience></AssumeRoleWithWebIdentityResult>`,
    );
}

/** Fields of moto's success response the CloudTrail event needs (the secret is not read). */
export function parseIssuedCredentials(xml: string) {
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
  return {
    accessKeyId: field("AccessKeyId"),
    expiration: new Date(field("Expiration") || Date.now()),
    assumedRoleArn: field("Arn"),
    assumedRoleId: field("AssumedRoleId"),
  };
}

export const newRequestId = () => randomUUID();
