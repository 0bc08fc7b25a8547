import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { type DeploymentFacts, factDifferences } from "@repo/infra/deployment-facts";
import {
  CloudTrailApiError,
  type CloudTrailStore,
  type ExchangeRecord,
  LookupRateLimiter,
} from "./cloudtrail";
import { type ActiveFault, type FaultInjector, type FaultSpec, faultSpecProblem } from "./faults";
import {
  interfaceAddresses,
  readBody,
  readJsonBody,
  refuseBrowserRequests,
  refuseForeignHost,
  sendJson,
} from "./http";
import { closeServer, LOOPBACK, listen } from "./net";
import {
  credentialsFromStsXml,
  IssuedCredentials,
  isPresigned,
  isSigV2,
  PresignError,
  queryMotoMisreads,
  resignForMoto,
  SANDBOX_PLACEHOLDER_KEY_ID,
  SIGV2_REFUSAL,
  type SignedForward,
  type SigningCredentials,
  signForUpstream,
  verifyPresigned,
} from "./sigv4";
import {
  approveWebIdentity,
  completeMotoResponse,
  internalFailure,
  newRequestId,
  parseIssuedCredentials,
  roleAccount,
  StsError,
  stsErrorXml,
  type WebIdentityBackend,
  type WebIdentityFacts,
} from "./sts";

/**
 * The one AWS endpoint the app talks to. AssumeRoleWithWebIdentity is decided here (then issued
 * by moto), CloudTrail LookupEvents is answered here, /_sandbox/* is the sandbox's own admin API
 * (no AWS service uses that path, and S3 bucket names cannot contain "_"), and every other request
 * streams through to moto untouched.
 */

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

/** What the app's credential path uses; anything else needs `extraStsActions`. */
const SERVED_STS_ACTIONS = ["AssumeRoleWithWebIdentity", "GetCallerIdentity"];

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

export interface Gateway {
  url: string;
  port: number;
  stats(): GatewayStats;
  resetStats(): void;
  close(): Promise<void>;
}

const emptyStats = (): GatewayStats => ({
  exchanges: 0,
  exchangesSucceeded: 0,
  exchangesRefused: 0,
  stsFaulted: 0,
  stsOtherCalls: 0,
  cloudTrailLookups: 0,
  cloudTrailThrottled: 0,
  passedThrough: 0,
});

interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/** The SigV4 credential scope (header or presigned query), if the request is signed. */
function credentialScope(request: IncomingMessage, url: URL): CredentialScope | undefined {
  const header = request.headers.authorization ?? "";
  const credential =
    /Credential=([^,\s]+)/.exec(header)?.[1] ?? url.searchParams.get("X-Amz-Credential");
  if (!credential) return undefined;
  const [accessKeyId = "", , region = "", service = ""] = credential.split("/");
  return { accessKeyId, region, service };
}

const JSON_11 = "application/x-amz-json-1.1";
const LOOKUP_EVENTS_TARGET = /(^|\.)CloudTrail_20131101\.LookupEvents$/;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { backend, cloudTrail, faults, region, accountId } = options;
  const log = options.log ?? (() => {});
  const limiter = new LookupRateLimiter();
  const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  const issuedKeys = new IssuedCredentials();
  const admin = options.adminCredentials;
  const motoHost = `${LOOPBACK}:${options.motoPort}`;
  const networkHosts = options.network ? interfaceAddresses() : [];
  let stats = emptyStats();

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      log(`gateway error: ${message}`);
      if (!response.headersSent) sendJson(response, 500, { error: message });
      else response.destroy();
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a web page under another name must not reach the sandbox through the browser.
    if (!refuseForeignHost(request, response, networkHosts)) return;
    const url = new URL(request.url ?? "/", `http://${LOOPBACK}`);
    if (url.pathname.startsWith("/_sandbox/")) {
      // Faults, stats and the deployment check are for this machine's own tools only.
      if (networkHosts.length > 0 && !refuseForeignHost(request, response)) return;
      await adminApi(request, response, url.pathname);
      return;
    }
    // moto's own control API (reset, reset-auth) would switch enforcement off: moto only.
    if (url.pathname.startsWith("/moto-api")) {
      sendJson(response, 403, { error: "moto's control API is not served through the gateway" });
      return;
    }
    const scope = credentialScope(request, url);
    // moto would answer a SigV2-signed S3 call with an HTML 500; S3 refuses it in its own shape.
    if (request.method !== "OPTIONS" && isSigV2(url, request.headers.authorization)) {
      request.resume();
      sendS3Error(response, new PresignError(SIGV2_REFUSAL.code, SIGV2_REFUSAL.message, 400));
      return;
    }
    // A preflight for a presigned URL carries its query but is no signed request itself.
    if (admin && isPresigned(url) && scope?.service === "s3" && request.method !== "OPTIONS") {
      await presigned(request, response, scope);
      return;
    }
    const target = request.headers["x-amz-target"];
    if (typeof target === "string" && LOOKUP_EVENTS_TARGET.test(target)) {
      options.onCall?.({
        service: scope?.service ?? "cloudtrail",
        action: "LookupEvents",
        accessKeyId: scope?.accessKeyId ?? "",
        params: {},
      });
      await lookupEvents(request, response, scope);
      return;
    }
    const formPost =
      request.method === "POST" &&
      url.pathname === "/" &&
      (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const queryCall =
      request.method === "GET" && url.pathname === "/" && url.searchParams.has("Action");
    if (!formPost && !queryCall) {
      await proxyAs(request, response, scope);
      return;
    }
    // Query-protocol calls (STS, IAM, CloudFormation) are small: buffer them to read the action.
    const body = formPost ? await readBody(request) : undefined;
    const params = body ? new URLSearchParams(body.toString("utf8")) : url.searchParams;
    const action = params.get("Action");
    if (action !== "AssumeRoleWithWebIdentity") {
      options.onCall?.({
        service: scope?.service ?? "",
        action: action ?? "",
        accessKeyId: scope?.accessKeyId ?? "",
        params: Object.fromEntries(params),
      });
    }
    const isSts =
      scope?.service === "sts" || (scope === undefined && action === "AssumeRoleWithWebIdentity");
    if (!isSts) {
      await proxyAs(request, response, scope, body);
      return;
    }
    if (action === "AssumeRoleWithWebIdentity") stats.exchanges++;
    else stats.stsOtherCalls++;
    const served = [...SERVED_STS_ACTIONS, ...(options.extraStsActions ?? [])];
    if (!served.includes(action ?? "")) {
      log(`sts ${action ?? "(no action)"} refused: the sandbox serves ${served.join(", ")}`);
      sendStsError(
        response,
        new StsError(
          "AccessDenied",
          `The sandbox does not serve sts:${action ?? "(no action)"}; it serves ${served.join(", ")} (startSandbox({ extraStsActions }) opts a test in).`,
          403,
        ),
      );
      return;
    }
    const fault = faults.take();
    if (fault && (await applyFault(fault, request, response))) return;
    if (action === "AssumeRoleWithWebIdentity") {
      await assumeRoleWithWebIdentity(request, response, params, body);
    } else {
      await proxyAs(request, response, scope, body);
    }
  }

  /** Placeholder-signed calls are the sandbox's own: signed again with its admin key. */
  async function proxyAs(
    request: IncomingMessage,
    response: ServerResponse,
    scope: CredentialScope | undefined,
    body?: Buffer,
  ): Promise<void> {
    // A browser's CORS preflight carries no signature; S3 answers it from the bucket's CORS rules
    // without one, moto only with a signature: the sandbox asks on the browser's behalf.
    if (admin && request.method === "OPTIONS" && !request.headers.authorization) {
      const preflight = { region, service: "s3" };
      proxy(request, response, body, await signForUpstream(request, admin, preflight, motoHost));
      return;
    }
    if (admin && scope && scope.accessKeyId === SANDBOX_PLACEHOLDER_KEY_ID) {
      proxy(request, response, body, await signForUpstream(request, admin, scope, motoHost, body));
      return;
    }
    if (admin && scope?.service === "s3" && queryMotoMisreads(request.url ?? "")) {
      const headers = await resignForMoto(request, issuedKeys);
      if (!headers) {
        sendS3Error(
          response,
          new PresignError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
          ),
        );
        return;
      }
      proxy(request, response, body, { path: request.url ?? "/", headers });
      return;
    }
    proxy(request, response, body);
  }

  function sendS3Error(response: ServerResponse, error: PresignError): void {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message}</Message><RequestId>${newRequestId()}</RequestId></Error>`;
    response.writeHead(error.status, {
      "content-type": "application/xml",
      "content-length": Buffer.byteLength(xml),
    });
    response.end(xml);
  }

  async function presigned(
    request: IncomingMessage,
    response: ServerResponse,
    scope: CredentialScope,
  ): Promise<void> {
    let credentials: SigningCredentials;
    try {
      credentials = await verifyPresigned(request, issuedKeys);
    } catch (error) {
      if (!(error instanceof PresignError)) throw error;
      sendS3Error(response, error);
      return;
    }
    // Header-signed with the same credentials: moto decides with the role's own policies.
    proxy(
      request,
      response,
      undefined,
      await signForUpstream(request, credentials, scope, motoHost),
    );
  }

  /** True when the fault answered (or dropped) the call; false when the call goes on (delay). */
  async function applyFault(
    fault: ActiveFault,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    stats.stsFaulted++;
    log(`fault ${fault.kind} applied to an STS call`);
    switch (fault.kind) {
      case "error-500":
        sendStsError(response, internalFailure());
        return true;
      case "error-503":
        sendStsError(
          response,
          new StsError("ServiceUnavailable", "Service unavailable", 503, "Receiver"),
        );
        return true;
      case "throttle":
        sendStsError(response, new StsError("Throttling", "Rate exceeded", 400));
        return true;
      case "reset":
        request.socket.resetAndDestroy();
        return true;
      case "hang": {
        const release = faults.onClear(() => request.socket.destroy());
        request.socket.once("close", release);
        return true;
      }
      case "delay":
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        return request.socket.destroyed;
    }
  }

  async function assumeRoleWithWebIdentity(
    request: IncomingMessage,
    response: ServerResponse,
    params: URLSearchParams,
    body: Buffer | undefined,
  ): Promise<void> {
    const requestId = newRequestId();
    const facts: WebIdentityFacts = {};
    const roleArn = params.get("RoleArn") ?? undefined;
    const roleSessionName = params.get("RoleSessionName") ?? undefined;
    const durationParam = params.get("DurationSeconds") ?? undefined;
    // CloudTrail logs the call in the role's account, when the sandbox has that account.
    const eventAccount =
      roleArn && backend.iamOf?.(roleAccount(roleArn) ?? "") ? roleAccount(roleArn) : undefined;
    const record = (outcome: ExchangeRecord["outcome"]) =>
      cloudTrail.record({
        time: new Date(),
        requestId,
        region,
        accountId: eventAccount ?? accountId,
        sourceIp: request.socket.remoteAddress ?? LOOPBACK,
        userAgent: request.headers["user-agent"] ?? "",
        roleArn,
        roleSessionName,
        durationSeconds:
          durationParam && /^\d+$/.test(durationParam) ? Number(durationParam) : undefined,
        subject: facts.subject,
        audience: facts.audience,
        providerArn: facts.providerArn,
        outcome,
      });

    let approved: Awaited<ReturnType<typeof approveWebIdentity>>;
    try {
      approved = await approveWebIdentity(
        {
          roleArn,
          roleSessionName,
          token: params.get("WebIdentityToken") ?? undefined,
          durationSeconds: durationParam,
        },
        backend,
        facts,
      );
    } catch (error) {
      if (!(error instanceof StsError)) {
        // The sandbox itself failed (moto unreachable, say): answer as STS does for its own faults.
        log(`sts AssumeRoleWithWebIdentity failed inside the sandbox: ${(error as Error).message}`);
        stats.exchangesRefused++;
        const failure = internalFailure();
        record({ ok: false, errorCode: failure.code, errorMessage: failure.message });
        sendStsError(response, failure, requestId);
        return;
      }
      stats.exchangesRefused++;
      record({ ok: false, errorCode: error.sdkName, errorMessage: error.message });
      log(
        `sts AssumeRoleWithWebIdentity ${roleArn ?? "-"} sub=${facts.subject ?? "-"} → ${error.code}: ${error.message}${facts.trustReason ? ` (${facts.trustReason})` : ""}`,
      );
      sendStsError(response, error, requestId);
      return;
    }

    const upstream = await forward(request, body ?? Buffer.from(params.toString()));
    if (upstream.status === 200) {
      const credentials = credentialsFromStsXml(upstream.body);
      if (credentials) issuedKeys.remember(credentials);
    }
    if (upstream.status !== 200) {
      stats.exchangesRefused++;
      const code = /<Code>([^<]*)<\/Code>/.exec(upstream.body)?.[1] ?? `HTTP${upstream.status}`;
      record({
        ok: false,
        errorCode: code,
        errorMessage: /<Message>([^<]*)<\/Message>/.exec(upstream.body)?.[1] ?? "",
      });
      response.writeHead(upstream.status, upstream.headers);
      response.end(upstream.body);
      return;
    }
    const xml = completeMotoResponse(upstream.body, approved);
    const issued = parseIssuedCredentials(xml);
    stats.exchangesSucceeded++;
    record({ ok: true, ...issued });
    log(
      `sts AssumeRoleWithWebIdentity ${roleArn} sub=${approved.subject} → ${issued.assumedRoleArn}`,
    );
    response.writeHead(200, {
      "content-type": "text/xml",
      "content-length": Buffer.byteLength(xml),
      "x-amzn-requestid": requestId,
    });
    response.end(xml);
  }

  function sendStsError(response: ServerResponse, error: StsError, requestId = newRequestId()) {
    const xml = stsErrorXml(error, requestId);
    response.writeHead(error.status, {
      "content-type": "text/xml",
      "content-length": Buffer.byteLength(xml),
      "x-amzn-requestid": requestId,
    });
    response.end(xml);
  }

  async function lookupEvents(
    request: IncomingMessage,
    response: ServerResponse,
    scope: CredentialScope | undefined,
  ): Promise<void> {
    stats.cloudTrailLookups++;
    const requestId = newRequestId();
    const sendError = (error: CloudTrailApiError) =>
      sendJson(
        response,
        error.status,
        { __type: error.code, message: error.message },
        { "content-type": JSON_11, "x-amzn-requestid": requestId, "x-amzn-errortype": error.code },
      );
    const caller = scope?.accessKeyId || request.socket.remoteAddress || "anonymous";
    const input = await readJsonBody(request);
    if (!limiter.allow(caller)) {
      stats.cloudTrailThrottled++;
      sendError(new CloudTrailApiError("ThrottlingException", "Rate exceeded"));
      return;
    }
    try {
      const result = cloudTrail.lookup(input as Record<string, unknown>, scope?.region || region);
      sendJson(response, 200, result, { "content-type": JSON_11, "x-amzn-requestid": requestId });
    } catch (error) {
      if (!(error instanceof CloudTrailApiError)) throw error;
      sendError(error);
    }
  }

  async function adminApi(request: IncomingMessage, response: ServerResponse, path: string) {
    const method = request.method ?? "GET";
    if (method !== "GET" && !refuseBrowserRequests(request, response)) return;
    const route = `${method} ${path.replace(/\/$/, "")}`;
    switch (route) {
      case "GET /_sandbox/health":
        sendJson(response, 200, { ok: true });
        return;
      case "GET /_sandbox/stats":
        sendJson(response, 200, {
          ...stats,
          faults: faults.list(),
          cloudTrailEvents: cloudTrail.size,
        });
        return;
      case "POST /_sandbox/stats/reset":
        stats = emptyStats();
        sendJson(response, 200, stats);
        return;
      case "GET /_sandbox/faults":
        sendJson(response, 200, { faults: faults.list() });
        return;
      case "POST /_sandbox/faults": {
        const spec = await readJsonBody(request);
        const problem = faultSpecProblem(spec);
        if (problem) {
          sendJson(response, 400, { error: problem });
          return;
        }
        sendJson(response, 201, { fault: faults.inject(spec as FaultSpec) });
        return;
      }
      case "DELETE /_sandbox/faults":
        faults.clear();
        sendJson(response, 200, { faults: [] });
        return;
      case "GET /_sandbox/cloudtrail/events":
        sendJson(response, 200, { events: cloudTrail.events() });
        return;
      case "POST /_sandbox/deployment": {
        const body = (await readJsonBody(request)) as { facts?: unknown } | undefined;
        const wanted = body?.facts;
        if (!options.deployment || typeof wanted !== "object" || wanted === null) {
          sendJson(response, 400, {
            error: "send { facts } (deploymentFacts of the configuration)",
          });
          return;
        }
        sendJson(response, 200, {
          stackName: options.deployment.stackName,
          differences: factDifferences(options.deployment.facts, wanted as DeploymentFacts),
        });
        return;
      }
      default:
        sendJson(response, 404, {
          error: `no sandbox route ${route}; see infra/sandbox/README.md`,
        });
    }
  }

  function upstreamHeaders(request: IncomingMessage) {
    const headers = { ...request.headers };
    // We write the body in one go; moto need not ask for it.
    delete headers.expect;
    return headers;
  }

  function proxy(
    request: IncomingMessage,
    response: ServerResponse,
    body?: Buffer,
    signed?: SignedForward,
  ): void {
    stats.passedThrough++;
    const headers = signed?.headers ?? upstreamHeaders(request);
    if (body) headers["content-length"] = String(body.length);
    const upstream = httpRequest(
      {
        host: LOOPBACK,
        port: options.motoPort,
        method: request.method,
        path: signed?.path ?? request.url,
        headers,
        agent: upstreamAgent,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      if (response.headersSent) response.destroy();
      else sendJson(response, 502, { error: `moto is unreachable: ${error.message}` });
    });
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    if (body) upstream.end(body);
    else request.pipe(upstream);
  }

  async function forward(
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    // The SDK sends this call unsigned, which moto cannot take with enforcement on: once the
    // token and trust are checked above, the gateway signs it with the sandbox's admin key.
    const signedHeaders = admin
      ? (
          await signForUpstream(
            {
              url: "/",
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
            },
            admin,
            { region, service: "sts" },
            motoHost,
            body,
          )
        ).headers
      : undefined;
    return new Promise((resolve, reject) => {
      const headers = signedHeaders ?? upstreamHeaders(request);
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(body.length);
      const upstream = httpRequest(
        {
          host: LOOPBACK,
          port: options.motoPort,
          method: "POST",
          path: "/",
          headers,
          agent: upstreamAgent,
        },
        (upstreamResponse) => {
          const chunks: Buffer[] = [];
          upstreamResponse.on("data", (chunk: Buffer) => chunks.push(chunk));
          upstreamResponse.on("end", () =>
            resolve({
              status: upstreamResponse.statusCode ?? 502,
              headers: { "content-type": upstreamResponse.headers["content-type"] ?? "text/xml" },
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          upstreamResponse.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }

  const port = await listen(server, options.port ?? 0, options.network ? "0.0.0.0" : LOOPBACK);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = emptyStats();
    },
    close: async () => {
      faults.clear();
      await closeServer(server);
      upstreamAgent.destroy();
    },
  };
}
