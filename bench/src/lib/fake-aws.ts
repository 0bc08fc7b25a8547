import { randomBytes, randomUUID } from "node:crypto";
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local AWS double for the data plane, used where moto cannot keep up (it serves ~100 requests/s
 * on this 2-core machine) or cannot follow a simulated clock. It answers S3 ListObjectsV2 and STS
 * GetCallerIdentity, and only for requests signed with credentials that were issued through it
 * and have not expired: a request signed with expired or unknown credentials is refused the way
 * AWS refuses it. So "0 failures" really means every call carried valid credentials.
 * With `issueCredentials`, it also plays STS AssumeRoleWithWebIdentity, issuing credentials that
 * expire on the given clock (moto's follow the real clock only) and counting every exchange.
 */

export interface Clock {
  now(): number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Which access keys exist and until when. */
export class CredentialLedger {
  readonly #expiry = new Map<string, number>();

  register(accessKeyId: string, expiresAt: number): void {
    this.#expiry.set(accessKeyId, expiresAt);
  }

  issue(expiresAt: number): IssuedCredentials {
    // Made at run time: nothing key-shaped is ever written into the source.
    const credentials = {
      accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(120).toString("base64"),
      expiration: new Date(expiresAt),
    };
    this.register(credentials.accessKeyId, expiresAt);
    return credentials;
  }

  /** Until when the key is valid; undefined for a key never issued. */
  expiresAt(accessKeyId: string | undefined): number | undefined {
    return accessKeyId ? this.#expiry.get(accessKeyId) : undefined;
  }
}

export interface FakeAwsStats {
  /** AssumeRoleWithWebIdentity calls answered. */
  exchanges: number;
  /** Data-plane calls answered. */
  calls: number;
  /** Data-plane calls refused: signed with credentials already expired when signed, or unknown. */
  refused: number;
  /**
   * Calls signed with valid credentials that expired while the request was on its way (queued in
   * a saturated process). AWS would refuse them; they are answered and counted, because they
   * measure this machine's queueing, not which credentials the provider handed out.
   */
  lateArrivals: number;
  /** Distinct credentials (access keys) that signed answered calls. */
  credentialsUsed: number;
}

export interface FakeAws {
  endpoint: string;
  stats(): FakeAwsStats;
  resetStats(): void;
  close(): Promise<void>;
}

const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const ACCOUNT = "123456789012";

export async function startFakeAws(options: {
  clock: Clock;
  ledger: CredentialLedger;
  /** Play STS AssumeRoleWithWebIdentity, issuing credentials of this lifetime (default 3600 s, or DurationSeconds). */
  issueCredentials?: { lifetimeSeconds?: number };
}): Promise<FakeAws> {
  const { clock, ledger } = options;
  const emptyStats = () => ({ exchanges: 0, calls: 0, refused: 0, lateArrivals: 0 });
  let stats = emptyStats();
  let keysUsed = new Set<string>();

  const server = createServer((req, res) => {
    // No Date header: the SDK would "correct" its clock to it, undoing a simulated clock.
    res.sendDate = false;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => answer(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  // Benchmarks open many keep-alive connections; the default limits would queue them.
  server.keepAliveTimeout = 30_000;
  server.maxRequestsPerSocket = 0;

  function answer(req: IncomingMessage, res: ServerResponse, body: string) {
    const form = new URLSearchParams(body);
    const action = form.get("Action");
    if (action === "AssumeRoleWithWebIdentity" && options.issueCredentials) {
      stats.exchanges++;
      const requested = Number(form.get("DurationSeconds"));
      const lifetime =
        Number.isInteger(requested) && requested > 0
          ? requested
          : (options.issueCredentials.lifetimeSeconds ?? 3600);
      const issued = ledger.issue(clock.now() + lifetime * 1000);
      sendXml(res, 200, assumeRoleXml(issued));
      return;
    }
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? "")?.[1];
    const expiresAt = ledger.expiresAt(accessKeyId);
    const signedAt = signingTime(req.headers["x-amz-date"]) ?? clock.now();
    const isSts = action !== null;
    if (expiresAt === undefined || signedAt >= expiresAt) {
      stats.refused++;
      const [code, message] =
        expiresAt !== undefined
          ? ["ExpiredToken", "The security token included in the request is expired"]
          : ["InvalidClientTokenId", "The security token included in the request is invalid"];
      sendXml(
        res,
        isSts ? 403 : 400,
        isSts ? stsErrorXml(code, message) : s3ErrorXml(code, message),
      );
      return;
    }
    stats.calls++;
    keysUsed.add(accessKeyId as string);
    if (clock.now() >= expiresAt) stats.lateArrivals++;
    if (action === "GetCallerIdentity") {
      sendXml(res, 200, callerIdentityXml());
      return;
    }
    if (!isSts && req.method === "GET") {
      const bucket = new URL(req.url ?? "/", "http://localhost").pathname.split("/")[1] ?? "";
      sendXml(res, 200, listObjectsXml(bucket));
      return;
    }
    sendXml(
      res,
      400,
      s3ErrorXml("NotImplemented", `The local AWS double does not answer ${action ?? req.method}`),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...stats, credentialsUsed: keysUsed.size }),
    resetStats: () => {
      stats = emptyStats();
      keysUsed = new Set();
    },
    close: () => closeServer(server),
  };
}

export interface LifetimeProxy {
  endpoint: string;
  /** AssumeRoleWithWebIdentity calls that went through. */
  exchanges(): number;
  close(): Promise<void>;
}

/**
 * Sits between a credential provider and the sandbox's STS: every exchange really happens (token
 * verified, trust evaluated, credentials issued by moto), and the answer's Expiration is set to
 * `lifetimeMs` after now on `clock`. Two uses: short sessions for a load run (STS never issues
 * less than 15 minutes), and sessions on a simulated clock (moto's follow the real one). The key
 * is registered in the ledger, when given, with that expiry.
 */
export async function startLifetimeProxy(options: {
  target: string;
  lifetimeMs: number;
  clock: Clock;
  ledger?: CredentialLedger;
  /** Sees every issued credential (the secrets test collects the values to look for). */
  onIssued?: (credentials: { secretAccessKey: string; sessionToken: string }) => void;
}): Promise<LifetimeProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  let exchanges = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const isExchange = body.includes("Action=AssumeRoleWithWebIdentity");
      if (isExchange) exchanges++;
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, "content-length": String(body.length) },
          agent,
        },
        (up) => {
          const parts: Buffer[] = [];
          up.on("data", (chunk: Buffer) => parts.push(chunk));
          up.on("end", () => {
            let text = Buffer.concat(parts).toString("utf8");
            if (isExchange && up.statusCode === 200) {
              const expiresAt = options.clock.now() + options.lifetimeMs;
              const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
              if (accessKeyId) options.ledger?.register(accessKeyId, expiresAt);
              const field = (name: string) =>
                new RegExp(`<${name}>([^<]+)</${name}>`).exec(text)?.[1] ?? "";
              options.onIssued?.({
                secretAccessKey: field("SecretAccessKey"),
                sessionToken: field("SessionToken"),
              });
              text = text.replace(
                /<Expiration>[^<]+<\/Expiration>/,
                `<Expiration>${new Date(expiresAt).toISOString()}</Expiration>`,
              );
            }
            const headers = { ...up.headers, "content-length": String(Buffer.byteLength(text)) };
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(text);
          });
        },
      );
      // A fault at the gateway (reset, hang) reaches the provider as the same kind of failure.
      upstream.on("error", () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exchanges: () => exchanges,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** SigV4's X-Amz-Date (20261125T205014Z), whole seconds. */
function signingTime(header: string | string[] | undefined): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(header ?? ""));
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

function sendXml(res: ServerResponse, status: number, xml: string) {
  res.writeHead(status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(xml);
}

export function assumeRoleXml(issued: IssuedCredentials): string {
  return `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId><SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey><SessionToken>${issued.sessionToken}</SessionToken><Expiration>${issued.expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/Bench/bench</Arn><AssumedRoleId>AROABENCH:bench</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;
}

function callerIdentityXml(): string {
  return `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><Arn>arn:aws:sts::${ACCOUNT}:assumed-role/Bench/bench</Arn><UserId>AROABENCH:bench</UserId><Account>${ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
}

function listObjectsXml(bucket: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;
}

export function stsErrorXml(code: string, message: string): string {
  return `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
}
