import type { IncomingMessage, ServerResponse } from "node:http";
import {
  PresignError,
  queryMotoMisreads,
  resignForMoto,
  SANDBOX_PLACEHOLDER_KEY_ID,
  signForUpstream,
} from "../sigv4";
import type { CredentialScope, GatewayContext } from "./context";
import { sendS3Error } from "./s3";
import { proxy } from "./upstream";

/** Placeholder-signed calls are the sandbox's own: signed again with its admin key. */
export async function proxyAs(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  scope: CredentialScope | undefined,
  body?: Buffer,
): Promise<void> {
  const { admin, motoHost, issuedKeys } = context;
  const { region } = context.options;
  // A browser's CORS preflight carries no signature; S3 answers it from the bucket's CORS rules
  // without one, moto only with a signature: the sandbox asks on the browser's behalf.
  if (admin && request.method === "OPTIONS" && !request.headers.authorization) {
    const preflight = { region, service: "s3" };
    proxy(
      context,
      request,
      response,
      body,
      await signForUpstream(request, admin, preflight, motoHost),
    );
    return;
  }
  if (admin && scope && scope.accessKeyId === SANDBOX_PLACEHOLDER_KEY_ID) {
    proxy(
      context,
      request,
      response,
      body,
      await signForUpstream(request, admin, scope, motoHost, body),
    );
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
    proxy(context, request, response, body, { path: request.url ?? "/", headers });
    return;
  }
  proxy(context, request, response, body);
}
