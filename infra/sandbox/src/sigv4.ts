import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";

/*
 * SigV4 in the gateway, with the SDK's own signer (@smithy/signature-v4), for the two things moto
 * cannot do with IAM enforcement on:
 * - presigned S3 URLs: moto reads the Authorization header unconditionally (500, KeyError). The
 *   gateway checks the URL's query signature and expiry with the credentials STS issued, then
 *   forwards the same request header-signed with those credentials, so moto decides with the
 *   role's policies (no authorization of our own);
 * - the sandbox's own calls: tools sign with the placeholder key `sandbox`, and the gateway signs
 *   them again with the sandbox's admin key (an IAM user moto knows).
 */

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/** The key id local tools sign with (`verify --sandbox`, the tests): the sandbox's own calls. */
export const SANDBOX_PLACEHOLDER_KEY_ID = "sandbox";

const sha256 = Hash.bind(null, "sha256");
/** Headers worth signing when the gateway signs for moto: what S3 and the query APIs read. */
const SIGNED_UPSTREAM = /^(host|content-type|content-md5|range|if-[a-z-]+|x-amz-.+)$/;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const AUTH_QUERY = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
];

/** Credentials STS issued through the gateway, by access key id; kept in memory only. */
/** Who a key issued by AssumeRoleWithWebIdentity acts as. */
export interface IssuedIdentity {
  readonly roleArn: string;
  /** arn:aws:sts::<account>:assumed-role/<role>/<session>: the caller AWS names in refusals. */
  readonly assumedRoleArn: string;
}

export class IssuedCredentials {
  readonly #byKeyId = new Map<string, SigningCredentials>();
  readonly #identities = new Map<string, IssuedIdentity>();

  remember(credentials: SigningCredentials, identity?: IssuedIdentity): void {
    this.#byKeyId.set(credentials.accessKeyId, credentials);
    if (identity) this.#identities.set(credentials.accessKeyId, identity);
  }

  get(accessKeyId: string): SigningCredentials | undefined {
    return this.#byKeyId.get(accessKeyId);
  }

  /** The role a key acts as, when the gateway issued it. */
  identityOf(accessKeyId: string): IssuedIdentity | undefined {
    return this.#identities.get(accessKeyId);
  }
}

/** Reads the credentials out of moto's AssumeRoleWithWebIdentity answer (never logged). */
export function credentialsFromStsXml(xml: string): SigningCredentials | undefined {
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const accessKeyId = field("AccessKeyId");
  const secretAccessKey = field("SecretAccessKey");
  if (!accessKeyId || !secretAccessKey) return undefined;
  const expiration = field("Expiration");
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: field("SessionToken"),
    expiration: expiration ? new Date(expiration) : undefined,
  };
}

export function isPresigned(url: URL): boolean {
  return url.searchParams.has("X-Amz-Signature");
}

/**
 * Signature Version 2: a presigned URL's `AWSAccessKeyId` + `Signature` query (boto3's default
 * for presigned S3 URLs in us-east-1), or an `Authorization: AWS <key>:<signature>` header. The
 * sandbox verifies SigV4 only; S3 refuses SigV2 wherever it is not supported with this error.
 */
export function isSigV2(url: URL, authorization: string | undefined): boolean {
  return (
    (url.searchParams.has("AWSAccessKeyId") && url.searchParams.has("Signature")) ||
    /^AWS [^:\s]+:/.test(authorization ?? "")
  );
}

export const SIGV2_REFUSAL = {
  code: "InvalidRequest",
  message:
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
} as const;

/** An S3-shaped refusal: moto's and S3's codes, so clients read it as S3's own. */
export class PresignError extends Error {
  constructor(
    readonly code:
      | "AccessDenied"
      | "InvalidAccessKeyId"
      | "SignatureDoesNotMatch"
      | "InvalidRequest",
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

function splitPath(rawUrl: string): { path: string; query: URLSearchParams } {
  const at = rawUrl.indexOf("?");
  return at < 0
    ? { path: rawUrl, query: new URLSearchParams() }
    : { path: rawUrl.slice(0, at), query: new URLSearchParams(rawUrl.slice(at + 1)) };
}

function queryObject(query: URLSearchParams, without: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of query) if (!without.includes(name)) result[name] = value;
  return result;
}

function signer(credentials: SigningCredentials, region: string, service: string) {
  return new SignatureV4({
    credentials,
    region,
    service,
    sha256,
    // S3 signs the path as sent; every other service escapes it once more.
    uriEscapePath: service !== "s3",
    applyChecksum: false,
  });
}

/** `20261125T120000Z` → Date. */
function amzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/**
 * Checks a presigned S3 request: the credentials are ones STS issued here and still valid, the
 * URL has not expired, and its signature is the one those credentials make. Resolves with the
 * credentials; throws PresignError as S3 would refuse.
 */
export async function verifyPresigned(
  request: IncomingMessage,
  issued: IssuedCredentials,
  now = Date.now(),
): Promise<SigningCredentials> {
  const { path, query } = splitPath(request.url ?? "/");
  const [accessKeyId = "", date = "", region = "", service = ""] = (
    query.get("X-Amz-Credential") ?? ""
  ).split("/");
  const credentials = issued.get(accessKeyId);
  if (!credentials) {
    throw new PresignError(
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
    );
  }
  const signedAt = amzDate(query.get("X-Amz-Date") ?? "");
  const expiresIn = Number(query.get("X-Amz-Expires"));
  if (!signedAt || !Number.isInteger(expiresIn) || expiresIn < 1 || !date) {
    throw new PresignError(
      "AccessDenied",
      "Query-string authentication requires X-Amz-Date and X-Amz-Expires",
    );
  }
  if (now > signedAt.getTime() + expiresIn * 1000) {
    throw new PresignError("AccessDenied", "Request has expired");
  }
  if (credentials.expiration && now > credentials.expiration.getTime()) {
    throw new PresignError("AccessDenied", "The provided token has expired.");
  }
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
  const headers: Record<string, string> = { "x-amz-content-sha256": UNSIGNED_PAYLOAD };
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const presigned = await signer(credentials, region, service).presign(
    {
      method: request.method ?? "GET",
      protocol: "http:",
      hostname: (request.headers.host ?? "").split(":")[0] ?? "",
      path,
      query: queryObject(query, AUTH_QUERY),
      headers,
    },
    {
      signingDate: signedAt,
      expiresIn,
      signableHeaders: new Set(signedHeaders),
      unsignableHeaders: new Set(["x-amz-content-sha256"]),
      unhoistableHeaders: new Set(["x-amz-content-sha256"]),
    },
  );
  const expected = Buffer.from(String(presigned.query?.["X-Amz-Signature"] ?? ""));
  const given = Buffer.from(query.get("X-Amz-Signature") ?? "");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new PresignError(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided.",
    );
  }
  return credentials;
}

export interface SignedForward {
  path: string;
  headers: Record<string, string>;
}

/**
 * The same request, header-signed with `credentials` for the upstream at `host` (`ip:port`):
 * presigned query parameters and any old signature are dropped. The payload stays unsigned
 * (x-amz-content-sha256 as the client sent it, else UNSIGNED-PAYLOAD), so the body streams as is.
 */
export async function signForUpstream(
  request: { method?: string; url?: string; headers: IncomingHttpHeaders },
  credentials: SigningCredentials,
  scope: { region: string; service: string },
  host: string,
  /** A buffered body (query-protocol calls): signed by its hash, as those services expect. */
  body?: Buffer,
): Promise<SignedForward> {
  const { path, query } = splitPath(request.url ?? "/");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (/^(authorization|x-amz-date|x-amz-security-token|host|connection|expect)$/i.test(name)) {
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  headers.host = host;
  if (scope.service === "s3") headers["x-amz-content-sha256"] ??= UNSIGNED_PAYLOAD;
  if (body) headers["content-length"] = String(body.length);
  const forwardQuery = queryObject(query, AUTH_QUERY);
  const signed = await signer(credentials, scope.region, scope.service).sign(
    {
      method: request.method ?? "GET",
      protocol: "http:",
      hostname: host.split(":")[0] ?? host,
      path,
      query: forwardQuery,
      headers,
      body,
    },
    // Only what identifies the request: browsers add headers of their own (sec-ch-ua, origin, …).
    {
      unsignableHeaders: new Set(
        Object.keys(headers).filter((name) => !SIGNED_UPSTREAM.test(name)),
      ),
    },
  );
  // The query as the client encoded it (the SDK's RFC 3986 encoding, which the signer also uses).
  const rawQuery = (request.url ?? "").split("?")[1] ?? "";
  const search = rawQuery
    .split("&")
    .filter((part) => part && !AUTH_QUERY.includes(decodeURIComponent(part.split("=")[0] ?? "")))
    .join("&");
  const forwardHeaders = Object.fromEntries(
    Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const forwardPath = search ? `${path}?${search}` : path;
  const authorization = forwardHeaders.authorization ?? "";
  if (scope.service === "s3" && queryMotoMisreads(forwardPath)) {
    // moto would read this query differently from the signer: sign it as moto reads it.
    const auth = parseAuthorization(authorization);
    if (auth) {
      const signature = await motoStyleSignature({
        method: request.method ?? "GET",
        path,
        rawQuery: search,
        headers: forwardHeaders,
        signedHeaders: auth.signedHeaders,
        payloadHash: forwardHeaders["x-amz-content-sha256"] ?? UNSIGNED_PAYLOAD,
        credentials,
        region: scope.region,
        service: scope.service,
        amzDate: forwardHeaders["x-amz-date"] ?? "",
      });
      forwardHeaders.authorization = authorization.replace(
        /Signature=[0-9a-f]{64}/,
        `Signature=${signature}`,
      );
    }
  }
  return { path: forwardPath, headers: forwardHeaders };
}

// --- header-signed S3 calls whose query moto reads differently --------------------------------

interface AuthorizationHeader {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(value: string | undefined): AuthorizationHeader | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      value ?? "",
    );
  if (!match) return undefined;
  const [, accessKeyId = "", date = "", region = "", service = "", headers = "", signature = ""] =
    match;
  return { accessKeyId, date, region, service, signedHeaders: headers.split(";"), signature };
}

/**
 * moto recomputes a signature from the URL as werkzeug hands it over, which decodes `%2F` and
 * friends in the query (werkzeug keeps only space, `#`, `%`, `&`, `+` and `=` encoded): the SDK's
 * correct signature over `prefix=production%2F` then fails there. True when that would happen.
 */
export function queryMotoMisreads(rawUrl: string): boolean {
  const query = rawUrl.split("?")[1] ?? "";
  return /%(?!20|23|25|26|2B|3D)[0-9A-F]{2}/i.test(query);
}

/** The query as werkzeug renders it, which is what moto signs over (see queryMotoMisreads). */
function werkzeugQuery(rawQuery: string): string {
  const keep = (text: string) =>
    encodeURIComponent(text).replace(
      /%(22|24|2C|2F|3A|3B|3C|3E|3F|40|5B|5C|5D|5E|60|7B|7C|7D)/gi,
      (escaped) => decodeURIComponent(escaped),
    );
  return rawQuery
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf("=");
      const [name, value] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
      return `${keep(decodeURIComponent(name))}=${keep(decodeURIComponent(value))}`;
    })
    .sort()
    .join("&");
}

/**
 * A header-signed request whose key STS issued here, checked with the SDK's signer: the client's
 * signature over its signed headers (and `body`, when the service signs the payload) must match.
 * Undefined when the key is unknown or the signature does not match.
 */
export async function checkHeaderSignature(
  request: { method?: string; url?: string; headers: IncomingHttpHeaders },
  issued: IssuedCredentials,
  body?: Buffer,
) {
  const auth = parseAuthorization(request.headers.authorization);
  const credentials = auth && issued.get(auth.accessKeyId);
  const amzDateHeader = String(request.headers["x-amz-date"] ?? "");
  const signingDate = amzDate(amzDateHeader);
  if (!auth || !credentials || !signingDate) return undefined;
  const { path, query } = splitPath(request.url ?? "/");
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const payloadHash = headers["x-amz-content-sha256"] ?? UNSIGNED_PAYLOAD;
  const expected = await signer(credentials, auth.region, auth.service).sign(
    {
      method: request.method ?? "GET",
      protocol: "http:",
      hostname: (headers.host ?? "").split(":")[0] ?? "",
      path,
      query: queryObject(query, []),
      headers,
      ...(body ? { body } : {}),
    },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) },
  );
  const given = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
  if (given !== auth.signature) return undefined;
  return { auth, credentials, headers, payloadHash, amzDateHeader };
}

/**
 * For a header-signed S3 request with credentials STS issued here whose query moto would misread:
 * checks the client's signature with the SDK's signer (resolves false when it does not match, so
 * the request is refused as S3 would), then signs it again — same credentials, same date — over
 * the query the way moto reads it. SigV4's canonical request is written out here because no
 * signer produces moto's reading; the key derivation and HMAC are the SDK's.
 */
export async function resignForMoto(
  request: { method?: string; url?: string; headers: IncomingHttpHeaders },
  issued: IssuedCredentials,
): Promise<Record<string, string> | undefined> {
  const checked = await checkHeaderSignature(request, issued);
  if (!checked) return undefined;
  const { auth, credentials, headers, payloadHash, amzDateHeader } = checked;
  const { path } = splitPath(request.url ?? "/");
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const signature = await motoStyleSignature({
    method: request.method ?? "GET",
    path,
    rawQuery: (request.url ?? "").split("?")[1] ?? "",
    headers,
    signedHeaders: auth.signedHeaders,
    payloadHash,
    credentials,
    region: auth.region,
    service: auth.service,
    amzDate: amzDateHeader,
  });
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${auth.accessKeyId}/${scope}, SignedHeaders=${auth.signedHeaders.join(";")}, Signature=${signature}`,
  };
}

interface MotoSigningInput {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  signedHeaders: readonly string[];
  payloadHash: string;
  credentials: SigningCredentials;
  region: string;
  service: string;
  /** `20261125T120000Z` */
  amzDate: string;
}

/**
 * SigV4 over the canonical request as moto computes it (query as werkzeug renders it). The
 * canonical request is written out here because no signer produces moto's reading of the query;
 * the key derivation and HMAC are the SDK's.
 */
async function motoStyleSignature(input: MotoSigningInput): Promise<string> {
  const canonicalHeaders = input.signedHeaders
    .map((name) => `${name}:${(input.headers[name] ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonicalRequest = [
    input.method,
    input.path,
    werkzeugQuery(input.rawQuery),
    canonicalHeaders,
    input.signedHeaders.join(";"),
    input.payloadHash,
  ].join("\n");
  const hash = new Hash("sha256");
  hash.update(canonicalRequest);
  const scope = `${input.amzDate.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    input.amzDate,
    scope,
    Buffer.from(await hash.digest()).toString("hex"),
  ].join("\n");
  return signer(input.credentials, input.region, input.service).sign(stringToSign, {
    signingDate: amzDate(input.amzDate),
    signingRegion: input.region,
    signingService: input.service,
  });
}
