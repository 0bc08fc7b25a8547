import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type VercelEnvironment, vercelSubject } from "@repo/infra/vercel-naming";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";
import { type GithubMintOptions, githubClaims } from "./github-tokens";
import { readJsonBody, refuseBrowserRequests, refuseForeignHost, sendJson } from "./http";
import { closeServer, LOOPBACK, listen } from "./net";
import { exchangeToken } from "./token-exchange";

export type IssuerMode = "team" | "global";
// The stack's own rule for `sub`, custom environments included: the tokens the sandbox mints are
// the ones the roles were written for (the stack README says what is unconfirmed about it).
export { type VercelEnvironment, vercelSubject };

/** Who the sandbox pretends to be on Vercel: the configured team and project. */
export interface IssuerIdentity {
  mode: IssuerMode;
  team: string;
  teamId: string;
  project: string;
  projectId: string;
}

export interface MintOptions {
  environment?: string;
  project?: string;
  team?: string;
  /** Already expired, by more than IAM's 5-minute clock skew. */
  expired?: boolean;
  lifetimeSeconds?: number;
  /** Moves `nbf` (and `iat`) this many seconds into the future. */
  notBeforeInSeconds?: number;
  /** Moves only `iat` this many seconds (a token "issued" in the future, `nbf` still now). */
  issuedAtShiftSeconds?: number;
  /** Overrides for forged tokens: a wrong issuer or audience. */
  issuer?: string;
  audience?: string;
  /** Claims added as they are (the token exchange's `act`). */
  extraClaims?: JWTPayload;
}

export interface MintedToken {
  token: string;
  expiresAt: Date;
  claims: JWTPayload;
}

export interface LocalIssuer {
  identity: IssuerIdentity;
  keyId: string;
  /** The public keys; the private key never leaves this object (and never touches the disk). */
  jwks: JSONWebKeySet;
  defaultLifetimeSeconds: number;
  mint(options?: MintOptions): Promise<MintedToken>;
  /** A GitHub Actions-shaped token (github-tokens.ts), signed by the same key. */
  mintGithub(options?: GithubMintOptions): Promise<MintedToken>;
}

const VERCEL_OIDC_ORIGIN = "https://oidc.vercel.com";
const EXPIRED_AGO_SECONDS = 3600;

export function vercelIssuerUrl(mode: IssuerMode, team: string): string {
  return mode === "team" ? `${VERCEL_OIDC_ORIGIN}/${team}` : VERCEL_OIDC_ORIGIN;
}

export function vercelAudience(team: string): string {
  return `https://vercel.com/${team}`;
}

/** Stable, obviously fake Vercel ids for a slug, used when the user configured none. */
export function sampleVercelId(prefix: "team" | "prj", slug: string): string {
  const digest = createHash("sha256").update(`${prefix}:${slug}`).digest("hex");
  return `${prefix}_sandbox${digest.slice(0, 16)}`;
}

/** A fresh RS256 key pair, made per run and kept in memory only. */
export const generateSigningKey = () => generateKeyPair("RS256");

export async function createLocalIssuer(
  identity: IssuerIdentity,
  defaultLifetimeSeconds = 3600,
  keyPair?: Awaited<ReturnType<typeof generateSigningKey>>,
): Promise<LocalIssuer> {
  const { privateKey, publicKey } = keyPair ?? (await generateSigningKey());
  const keyId = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: "RS256", use: "sig" };

  async function mint(options: MintOptions = {}): Promise<MintedToken> {
    const team = options.team ?? identity.team;
    const project = options.project ?? identity.project;
    const environment = options.environment ?? "production";
    const lifetime = options.lifetimeSeconds ?? defaultLifetimeSeconds;
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = options.expired
      ? now - EXPIRED_AGO_SECONDS - lifetime
      : now + (options.notBeforeInSeconds ?? 0);
    const expiresAt = issuedAt + lifetime;
    const subject = vercelSubject(team, project, environment);
    const claims: JWTPayload = {
      iss: options.issuer ?? vercelIssuerUrl(identity.mode, team),
      aud: options.audience ?? vercelAudience(team),
      sub: subject,
      owner: team,
      owner_id: team === identity.team ? identity.teamId : sampleVercelId("team", team),
      project,
      project_id:
        project === identity.project ? identity.projectId : sampleVercelId("prj", project),
      environment,
      scope: subject,
      iat: issuedAt + (options.issuedAtShiftSeconds ?? 0),
      nbf: issuedAt,
      exp: expiresAt,
      ...(environment === "development" ? { user_id: "sandbox-user" } : {}),
      ...options.extraClaims,
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: keyId, typ: "JWT" })
      .sign(privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000), claims };
  }

  async function mintGithub(options: GithubMintOptions = {}): Promise<MintedToken> {
    const claims = githubClaims(options);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: keyId, typ: "JWT" })
      .sign(privateKey);
    return { token, expiresAt: new Date((claims.exp ?? 0) * 1000), claims };
  }

  return {
    identity,
    keyId,
    jwks: { keys: [publicJwk] },
    defaultLifetimeSeconds,
    mint,
    mintGithub,
  };
}

/**
 * Writes a fresh token for `environment` now and again halfway through each token's life, so a
 * reader of the file (the SDK re-reads it at every refresh) never holds an expired one.
 */
export async function keepTokenFileFresh(
  issuer: Pick<LocalIssuer, "mint" | "defaultLifetimeSeconds">,
  write: (token: string) => Promise<void>,
  onError: (error: unknown) => void,
  environment = "production",
  /** A custom audience (VERCEL_OIDC_AUDIENCE): the file holds the token as exchanged for it. */
  audience?: string,
): Promise<{ stop(): void }> {
  const refresh = async () => write((await issuer.mint({ environment, audience })).token);
  await refresh();
  const timer = setInterval(
    () => {
      refresh().catch(onError);
    },
    Math.max(1000, (issuer.defaultLifetimeSeconds * 1000) / 2),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export interface IssuerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves discovery and JWKS the way oidc.vercel.com does (at the root and under /<team>), POST
 * /~token as its token exchange does (token-exchange.ts), plus POST /mint so `pnpm sandbox token` can get a token from a running sandbox without the key ever
 * being written to disk.
 */
export async function serveIssuer(issuer: LocalIssuer, port = 0): Promise<IssuerServer> {
  let baseUrl = "";
  const server = createServer((request, response) => {
    if (!refuseForeignHost(request, response)) return;
    handleIssuerRequest(issuer, baseUrl, request, response).catch((error: unknown) => {
      sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  const boundPort = await listen(server, port);
  baseUrl = `http://${LOOPBACK}:${boundPort}`;
  return { url: baseUrl, port: boundPort, close: () => closeServer(server) };
}

async function handleIssuerRequest(
  issuer: LocalIssuer,
  baseUrl: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? "/", baseUrl).pathname;
  const { identity } = issuer;
  const teamPrefix = identity.mode === "team" ? `/${identity.team}` : "";
  if (request.method === "GET" && /^(\/[^/]+)?\/\.well-known\/openid-configuration$/.test(path)) {
    sendJson(response, 200, {
      issuer: vercelIssuerUrl(identity.mode, identity.team),
      jwks_uri: `${baseUrl}${teamPrefix}/.well-known/jwks`,
      subject_types_supported: ["public"],
      response_types_supported: ["id_token"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
      claims_supported: [
        "aud",
        "exp",
        "iat",
        "iss",
        "nbf",
        "sub",
        "owner",
        "owner_id",
        "project",
        "project_id",
        "environment",
      ],
    });
    return;
  }
  if (request.method === "GET" && /^(\/[^/]+)?\/\.well-known\/jwks$/.test(path)) {
    sendJson(response, 200, issuer.jwks);
    return;
  }
  if (request.method === "POST" && path === "/mint") {
    if (!refuseBrowserRequests(request, response)) return;
    const options = (await readJsonBody(request)) as MintOptions;
    const minted = await issuer.mint(options);
    sendJson(response, 200, { token: minted.token, expiresAt: minted.expiresAt.toISOString() });
    return;
  }
  if (request.method === "POST" && path === "/~token") {
    // The stand-in for Vercel's token exchange (token-exchange.ts): a token is its credential.
    const answer = await exchangeToken(
      {
        jwks: issuer.jwks,
        teamIssuerUrl: (team) => vercelIssuerUrl("team", team),
        acceptedIssuers: [
          vercelIssuerUrl("team", issuer.identity.team),
          vercelIssuerUrl("global", issuer.identity.team),
        ],
        mint: (options) => issuer.mint(options),
      },
      await readJsonBody(request).catch(() => undefined),
    );
    sendJson(response, answer.status, answer.body);
    return;
  }
  sendJson(response, 404, { error: `no such issuer route: ${request.method} ${path}` });
}
