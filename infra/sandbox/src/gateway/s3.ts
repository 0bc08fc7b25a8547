import type { IncomingMessage, ServerResponse } from "node:http";
import {
  PresignError,
  SIGV2_REFUSAL,
  type SigningCredentials,
  signForUpstream,
  verifyPresigned,
} from "../sigv4";
import { newRequestId } from "../sts";
import type { CredentialScope, GatewayContext } from "./context";
import { proxy } from "./upstream";

/** S3 as the gateway answers it itself: presigned URLs, and refusals in S3's error shape. */

export function sendS3Error(response: ServerResponse, error: PresignError): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message}</Message><RequestId>${newRequestId()}</RequestId></Error>`;
  response.writeHead(error.status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(xml),
  });
  response.end(xml);
}

/** A SigV2-signed call, refused as S3 refuses it. */
export function refuseSigV2(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  sendS3Error(response, new PresignError(SIGV2_REFUSAL.code, SIGV2_REFUSAL.message, 400));
}

export async function presigned(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  scope: CredentialScope,
): Promise<void> {
  let credentials: SigningCredentials;
  try {
    credentials = await verifyPresigned(request, context.issuedKeys);
  } catch (error) {
    if (!(error instanceof PresignError)) throw error;
    sendS3Error(response, error);
    return;
  }
  // Header-signed with the same credentials: moto decides with the role's own policies.
  proxy(
    context,
    request,
    response,
    undefined,
    await signForUpstream(request, credentials, scope, context.motoHost),
  );
}
