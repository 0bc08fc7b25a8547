import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The sandbox is @repo/infra's; imported by path because apps/web does not depend on infra.
import { startSandbox } from "../../../infra/src/sandbox/index";
import { type AppServer, appProcessEnv, buildApp, startApp } from "./servers";

/**
 * One sandbox (the same stack and OIDC trust as AWS, in moto) and two servers from one build:
 * - E2E_BASE_URL: the sandbox's production token, which the production role trusts;
 * - E2E_PREVIEW_URL: a preview-environment token, which that role refuses. The app keeps its
 *   credentials for the life of the process, so the refusal needs a process of its own.
 */
export default async function globalSetup() {
  const started = Date.now();
  const phase = (name: string) =>
    console.log(`e2e: ${name} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-e2e-"));
  const servers: AppServer[] = [];
  const sandbox = await startSandbox({
    stateDir,
    // Fixed names, so nothing depends on the developer's root .env.
    env: {
      VERCEL_TEAM_SLUG: "acme",
      VERCEL_PROJECT_NAME: "web",
      VERCEL_ENVIRONMENTS: "production",
      VERCEL_ISSUER_MODE: "team",
      AWS_REGION: "us-east-1",
    },
  });
  phase("sandbox up");
  const teardown = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await sandbox.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const env = appProcessEnv(sandbox.appEnv);
    await buildApp(env);
    phase("next build done");

    const previewTokenFile = join(stateDir, "preview-token");
    await writeFile(previewTokenFile, await sandbox.mintToken({ environment: "preview" }), {
      mode: 0o600,
    });
    const [production, preview] = await Promise.all([
      startApp(env),
      startApp({ ...env, AWS_WEB_IDENTITY_TOKEN_FILE: previewTokenFile }),
    ]);
    servers.push(production, preview);
    phase("both servers answering");

    process.env.E2E_BASE_URL = production.url;
    process.env.E2E_PREVIEW_URL = preview.url;
    process.env.E2E_ROLE_ARN = sandbox.appEnv.AWS_ROLE_ARN;
    process.env.E2E_BUCKET = sandbox.bucket;
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
