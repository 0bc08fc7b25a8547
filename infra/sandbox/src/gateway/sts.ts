import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExchangeRecord } from "../cloudtrail";
import type { ActiveFault } from "../faults";
import { LOOPBACK } from "../net";
import { credentialsFromStsXml } from "../sigv4";
import {
  approveWebIdentity,
  completeMotoResponse,
  internalFailure,
  newRequestId,
  parseIssuedCredentials,
  roleAccount,
  StsError,
  stsErrorXml,
  type WebIdentityFacts,
} from "../sts";
import type { GatewayContext } from "./context";
import { forward } from "./upstream";

/** STS as the gateway serves it: AssumeRoleWithWebIdentity decided here, and injected faults. */

/** True when the fault answered (or dropped) the call; false when the call goes on (delay). */
export async function applyFault(
  context: GatewayContext,
  fault: ActiveFault,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  context.stats.stsFaulted++;
  context.log(`fault ${fault.kind} applied to an STS call`);
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
      const release = context.options.faults.onClear(() => request.socket.destroy());
      request.socket.once("close", release);
      return true;
    }
    case "delay":
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return request.socket.destroyed;
  }
}

export async function assumeRoleWithWebIdentity(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  params: URLSearchParams,
  body: Buffer | undefined,
): Promise<void> {
  const { backend, cloudTrail, region, accountId } = context.options;
  const { log, issuedKeys } = context;
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
      context.stats.exchangesRefused++;
      const failure = internalFailure();
      record({ ok: false, errorCode: failure.code, errorMessage: failure.message });
      sendStsError(response, failure, requestId);
      return;
    }
    context.stats.exchangesRefused++;
    record({ ok: false, errorCode: error.sdkName, errorMessage: error.message });
    log(
      `sts AssumeRoleWithWebIdentity ${roleArn ?? "-"} sub=${facts.subject ?? "-"} → ${error.code}: ${error.message}${facts.trustReason ? ` (${facts.trustReason})` : ""}`,
    );
    sendStsError(response, error, requestId);
    return;
  }

  const upstream = await forward(context, request, body ?? Buffer.from(params.toString()));
  if (upstream.status !== 200) {
    context.stats.exchangesRefused++;
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
  const credentials = credentialsFromStsXml(upstream.body);
  if (credentials) {
    issuedKeys.remember(
      credentials,
      roleArn ? { roleArn, assumedRoleArn: issued.assumedRoleArn ?? roleArn } : undefined,
    );
  }
  context.stats.exchangesSucceeded++;
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

export function sendStsError(
  response: ServerResponse,
  error: StsError,
  requestId = newRequestId(),
) {
  const xml = stsErrorXml(error, requestId);
  response.writeHead(error.status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": requestId,
  });
  response.end(xml);
}
