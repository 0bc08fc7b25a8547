import { writeFile } from "node:fs/promises";
import { join } from "node:path";
// The sandbox is @repo/sandbox (a devDependency: the tests run on it, the app never imports it).
import { startTestSandbox, type TestSandbox } from "@repo/sandbox/test-kit/sandbox";
import {
  APP_DIR,
  type AppServer,
  appProcessEnv,
  buildApp,
  E2E_DIST_DIR,
  startApp,
} from "./servers";

export interface E2eEnvironment {
  sandbox: TestSandbox;
  /** Runs with the sandbox's production token, which the production role trusts. */
  production: AppServer;
  /** Runs with a preview-environment token, which that role refuses. */
  preview: AppServer;
  /** The production role as a production deployment (VERCEL_ENV=production): what visitors see. */
  visitor: AppServer;
  /** The production server again, started with --network: every interface. */
  network: AppServer;
  stop(): Promise<void>;
}

/**
 * One sandbox (the same stack and OIDC trust as AWS, in moto), one build against it, and two
 * `next start` servers. The app keeps its credentials for the life of the process, so the
 * refused token needs a process of its own.
 */
export async function startE2eEnvironment(
  log: (line: string) => void = () => {},
): Promise<E2eEnvironment> {
  const started = Date.now();
  const phase = (name: string) =>
    log(`e2e: ${name} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const servers: AppServer[] = [];
  let sandbox: TestSandbox | undefined;
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await sandbox?.stop();
  };
  try {
    // The sample configuration, so nothing depends on the developer's root .env.
    sandbox = await startTestSandbox();
    phase("sandbox up");
    // Built with the sandbox's endpoint, so the CSP's connect-src allows the presigned PUT.
    const env = appProcessEnv(sandbox.appEnv);
    await buildApp(env);
    phase("next build done");

    const previewTokenFile = join(sandbox.stateDir, "preview-token");
    await writeFile(previewTokenFile, await sandbox.mintToken({ environment: "preview" }), {
      mode: 0o600,
    });
    // Logs stay out of test-results/, which Playwright empties when the tests start.
    const logs = join(APP_DIR, E2E_DIST_DIR, "..", "keyless-e2e-logs");
    const [production, preview, visitor, network] = await Promise.all([
      startApp(env, join(logs, "production.log")),
      startApp(
        { ...env, AWS_WEB_IDENTITY_TOKEN_FILE: previewTokenFile },
        join(logs, "preview.log"),
      ),
      // Production detection is VERCEL_ENV=production; the demo stays at its default (off).
      startApp({ ...env, VERCEL_ENV: "production" }, join(logs, "visitor.log")),
      startApp(env, join(logs, "network.log"), ["--network"]),
    ]);
    servers.push(production, preview, visitor, network);
    phase("all servers answering");
    return { sandbox, production, preview, visitor, network, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
