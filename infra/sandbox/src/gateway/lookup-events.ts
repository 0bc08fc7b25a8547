import type { IncomingMessage, ServerResponse } from "node:http";
import { CloudTrailApiError } from "../cloudtrail";
import { readJsonBody, sendJson } from "../http";
import { newRequestId } from "../sts";
import type { CredentialScope, GatewayContext } from "./context";

/** CloudTrail's LookupEvents, answered by the gateway from the events it recorded. */

const JSON_11 = "application/x-amz-json-1.1";

export async function lookupEvents(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  scope: CredentialScope | undefined,
): Promise<void> {
  const { cloudTrail, region } = context.options;
  context.stats.cloudTrailLookups++;
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
  if (!context.limiter.allow(caller)) {
    context.stats.cloudTrailThrottled++;
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
