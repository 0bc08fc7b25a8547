import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildForSandbox, type RunningDeployment, serveBuild } from "../src/deployment";
import { newDeploymentId } from "../src/environment";
import { type SandboxAccess, startOwnSandbox } from "../src/sandbox";
import { E2E_STACK_ENV, freePort, HARNESS_LOG, MAIN_BUILD } from "./support";

/**
 * One sandbox, one `vercel build --prod` (MAIN_BUILD, shared by the tests: a build is the slow
 * part), and four deployments served from it: production with the demo switch on, production with
 * no KEYLESS_PUBLIC_DEMO (what an anonymous visitor meets), a preview whose stack trusts only
 * production, and production with no AWS variable at all (the Deploy button's first deployment).
 */
export default async function globalSetup() {
  mkdirSync(dirname(HARNESS_LOG), { recursive: true });
  writeFileSync(HARNESS_LOG, "");
  const log = (line: string) => appendFileSync(HARNESS_LOG, `${line}\n`);
  const stateDir = await mkdtemp(join(tmpdir(), "keyless-vercel-local-e2e-"));
  const running: RunningDeployment[] = [];
  let sandbox: SandboxAccess | undefined;
  const stop = async () => {
    await Promise.all(running.map((deployment) => deployment.stop()));
    await sandbox?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    sandbox = await startOwnSandbox({
      stateDir,
      env: E2E_STACK_ENV,
      log,
    });
    const demo = MAIN_BUILD.projectVariables;
    const built = await buildForSandbox(sandbox, {
      ...MAIN_BUILD,
      projectVariables: { ...MAIN_BUILD.projectVariables },
      log,
    });
    // The build's own log (Vercel's lines, the preflight's) joins the log the tests search.
    appendFileSync(HARNESS_LOG, readFileSync(built.logFile));
    const serve = async (options: {
      environment: "production" | "preview";
      own?: boolean;
      demoOff?: boolean;
      unconfigured?: boolean;
    }) => {
      const port = await freePort();
      const deployment = await serveBuild(sandbox as SandboxAccess, built, {
        environment: options.environment,
        host: `127.0.0.1:${port}`,
        port,
        // KEYLESS_PUBLIC_DEMO is read at run time, so one build serves both production views.
        projectVariables: options.demoOff || options.unconfigured ? {} : demo,
        unconfigured: options.unconfigured,
        deploymentId: options.own ? newDeploymentId() : undefined,
        log,
      });
      running.push(deployment);
      return deployment;
    };
    const [production, visitor, preview, unconfigured] = await Promise.all([
      serve({ environment: "production" }),
      serve({ environment: "production", own: true, demoOff: true }),
      serve({ environment: "preview", own: true }),
      // The same code as the Deploy button's first deployment sees it: no variable set yet.
      serve({ environment: "production", own: true, unconfigured: true }),
    ]);
    Object.assign(process.env, {
      VL_PRODUCTION_URL: production.url,
      VL_PRODUCTION_DEPLOYMENT: production.deploymentId,
      VL_VISITOR_URL: visitor.url,
      VL_UNCONFIGURED_URL: unconfigured.url,
      VL_PREVIEW_URL: preview.url,
      VL_PREVIEW_DEPLOYMENT: preview.deploymentId,
      VL_ENDPOINT: sandbox.endpoint,
      VL_ISSUER: sandbox.issuerUrl,
      VL_REGION: sandbox.region,
      VL_STACK: sandbox.stackName,
      VL_BUCKET: sandbox.bucket,
      VL_ROLE: sandbox.roleArns.production,
    });
    return stop;
  } catch (error) {
    await stop();
    throw error;
  }
}
