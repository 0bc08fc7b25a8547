import { startE2eEnvironment } from "./environment";

/** Starts the sandbox and the servers; the tests find them through these variables. */
export default async function globalSetup() {
  const environment = await startE2eEnvironment(console.log);
  process.env.E2E_BASE_URL = environment.production.url;
  process.env.E2E_PREVIEW_URL = environment.preview.url;
  process.env.E2E_VISITOR_URL = environment.visitor.url;
  process.env.E2E_ROLE_ARN = environment.sandbox.appEnv.AWS_ROLE_ARN;
  process.env.E2E_BUCKET = environment.sandbox.bucket;
  process.env.E2E_SANDBOX_ENDPOINT = environment.sandbox.endpoint;
  process.env.E2E_SERVER_PIDS = JSON.stringify({
    production: environment.production.pid,
    preview: environment.preview.pid,
    visitor: environment.visitor.pid,
    network: environment.network.pid,
  });
  return () => environment.stop();
}
