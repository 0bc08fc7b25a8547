import { Agent, createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { LookupRateLimiter } from "./cloudtrail";
import { adminApi } from "./gateway/admin-api";
import {
  type CredentialScope,
  emptyStats,
  type GatewayContext,
  type GatewayOptions,
  type GatewayStats,
} from "./gateway/context";
import { DYNAMODB_TARGET, dynamodbCall } from "./gateway/dynamodb";
import { lookupEvents } from "./gateway/lookup-events";
import { proxyAs } from "./gateway/pass-through";
import { presigned, refuseSigV2 } from "./gateway/s3";
import { applyFault, assumeRoleWithWebIdentity, sendStsError } from "./gateway/sts";
import { interfaceAddresses, readBody, refuseForeignHost, sendJson } from "./http";
import { closeServer, LOOPBACK, listen } from "./net";
import { IssuedCredentials, isPresigned, isSigV2 } from "./sigv4";
import { StsError } from "./sts";

/**
 * The one AWS endpoint the app talks to. AssumeRoleWithWebIdentity is decided here (then issued
 * by moto), CloudTrail LookupEvents is answered here, /_sandbox/* is the sandbox's own admin API
 * (no AWS service uses that path, and S3 bucket names cannot contain "_"), a Vercel role's
 * DynamoDB calls are decided by table here (moto checks them against "*" only), and every other
 * request streams through to moto untouched.
 *
 * What serves each kind of request lives in ./gateway/: pass-through.ts and upstream.ts (moto),
 * s3.ts (presigned URLs, S3's errors), dynamodb.ts, sts.ts, lookup-events.ts (CloudTrail), admin-api.ts
 * (/_sandbox/*); they share one GatewayContext (context.ts) made here.
 */

export type { GatewayCall, GatewayOptions, GatewayStats } from "./gateway/context";

/** What the app's credential path uses; anything else needs `extraStsActions`. */
const SERVED_STS_ACTIONS = ["AssumeRoleWithWebIdentity", "GetCallerIdentity"];

export interface Gateway {
  url: string;
  port: number;
  stats(): GatewayStats;
  resetStats(): void;
  close(): Promise<void>;
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

const LOOKUP_EVENTS_TARGET = /(^|\.)CloudTrail_20131101\.LookupEvents$/;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { faults } = options;
  // Shared by every part that serves a request. Its `stats` is replaced on reset: read it through
  // `context.stats`, never from a copy.
  const context: GatewayContext = {
    options,
    log: options.log ?? (() => {}),
    limiter: new LookupRateLimiter(),
    upstreamAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
    issuedKeys: new IssuedCredentials(),
    admin: options.adminCredentials,
    motoHost: `${LOOPBACK}:${options.motoPort}`,
    stats: emptyStats(),
  };
  const { log, admin } = context;
  const networkHosts = options.network ? interfaceAddresses() : [];

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
      await adminApi(context, request, response, url.pathname);
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
      refuseSigV2(request, response);
      return;
    }
    // A preflight for a presigned URL carries its query but is no signed request itself.
    if (admin && isPresigned(url) && scope?.service === "s3" && request.method !== "OPTIONS") {
      await presigned(context, request, response, scope);
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
      await lookupEvents(context, request, response, scope);
      return;
    }
    // DynamoDB by table (moto checks its calls against "*" only).
    const dynamodb = typeof target === "string" ? DYNAMODB_TARGET.exec(target) : null;
    if (dynamodb?.[1] && scope?.service === "dynamodb") {
      await dynamodbCall(context, request, response, scope, dynamodb[1]);
      return;
    }
    const formPost =
      request.method === "POST" &&
      url.pathname === "/" &&
      (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    const queryCall =
      request.method === "GET" && url.pathname === "/" && url.searchParams.has("Action");
    if (!formPost && !queryCall) {
      await proxyAs(context, request, response, scope);
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
      await proxyAs(context, request, response, scope, body);
      return;
    }
    if (action === "AssumeRoleWithWebIdentity") context.stats.exchanges++;
    else context.stats.stsOtherCalls++;
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
    if (fault && (await applyFault(context, fault, request, response))) return;
    if (action === "AssumeRoleWithWebIdentity") {
      await assumeRoleWithWebIdentity(context, request, response, params, body);
    } else {
      await proxyAs(context, request, response, scope, body);
    }
  }

  const port = await listen(server, options.port ?? 0, options.network ? "0.0.0.0" : LOOPBACK);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    stats: () => ({ ...context.stats }),
    resetStats: () => {
      context.stats = emptyStats();
    },
    close: async () => {
      faults.clear();
      await closeServer(server);
      context.upstreamAgent.destroy();
    },
  };
}
