// VERCEL_OIDC_AUDIENCE on the Vercel path (issue #16, item 4): a sandbox whose stack requires the
// custom audience, a real `vercel build` of a project that sets it, and functions whose
// @vercel/oidc exchange (a fixed Vercel URL) is answered by the sandbox issuer's stand-in — in
// this test only (`tokenExchangeStandIn`). A second serving answers the exchange with an error; a
// third leaves the project's audience unset, so the team-audience token meets the custom stack.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { buildForSandbox, type RunningDeployment } from "../src/deployment";
import { type SandboxAccess, startOwnSandbox } from "../src/sandbox";
import {
  CASES_OVERLAY,
  E2E_STACK_ENV,
  freePort,
  JWT,
  lookupAssumeRoleEvents,
  type Served,
  serveWithLogs,
} from "./support";

const AUDIENCE = "sts.amazonaws.com";
const REFUSAL = "token exchange refused by the test's stand-in";

const running: RunningDeployment[] = [];
let sandbox: SandboxAccess | undefined;
let stateDir = "";
let refusing: Server | undefined;
let exchanging: Served;
let failing: Served;
let unset: Served;
let buildLog = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(480_000);
  stateDir = await mkdtemp(join(tmpdir(), "keyless-vercel-local-audience-"));
  sandbox = await startOwnSandbox({
    stateDir,
    env: { ...E2E_STACK_ENV, VERCEL_OIDC_AUDIENCE: AUDIENCE },
  });
  const access = sandbox;
  const standIn = `${access.issuerUrl}/~token`;
  // Answers every exchange as Vercel answers a failed one: { error }, which @vercel/oidc reports.
  refusing = createServer((_request, response) => {
    response.writeHead(403, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: REFUSAL }));
  });
  const refusingPort = await freePort();
  await new Promise<void>((resolve) => refusing?.listen(refusingPort, "127.0.0.1", resolve));

  const project = { VERCEL_OIDC_AUDIENCE: AUDIENCE };
  const built = await buildForSandbox(access, {
    environment: "production",
    label: "e2e-audience",
    host: "127.0.0.1",
    overlay: CASES_OVERLAY,
    projectVariables: project,
    tokenExchangeStandIn: standIn,
    log: () => {},
  });
  buildLog = await readFile(built.logFile, "utf8");
  const serve = async (options: {
    projectVariables: Record<string, string>;
    tokenExchangeStandIn?: string;
  }): Promise<Served> => {
    const served = await serveWithLogs(access, built, options);
    running.push(served.deployment);
    return served;
  };
  [exchanging, failing, unset] = await Promise.all([
    serve({ projectVariables: project, tokenExchangeStandIn: standIn }),
    serve({
      projectVariables: project,
      tokenExchangeStandIn: `http://127.0.0.1:${refusingPort}/~token`,
    }),
    serve({ projectVariables: {}, tokenExchangeStandIn: standIn }),
  ]);
});

test.afterAll(async () => {
  await Promise.all(running.map((deployment) => deployment.stop()));
  await new Promise((resolve) => (refusing ? refusing.close(resolve) : resolve(undefined)));
  await sandbox?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const json = async (url: string) => {
  const response = await fetch(url);
  const text = await response.text();
  expect(text).not.toMatch(JWT);
  return { status: response.status, body: JSON.parse(text) };
};

/** The sandbox's AssumeRoleWithWebIdentity events for one deployment's session. */
async function eventsOf(deployment: RunningDeployment) {
  const session = `vercel-production-${deployment.deploymentId}`;
  return (await lookupAssumeRoleEvents(sandbox?.endpoint ?? "")).filter(
    (event) => event.requestParameters?.roleSessionName === session,
  );
}

test("the sandbox's token file (pnpm dev's web-identity-file mode) carries the custom audience", async () => {
  const token = await readFile(join(stateDir, "web-identity-token"), "utf8");
  const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  expect(claims.aud).toBe(AUDIENCE);
  expect(claims.iss).toBe("https://oidc.vercel.com/acme");
});

test("the build's preflight exchanges through the stand-in and assumes the role", () => {
  expect(buildLog).toMatch(/aws-auth preflight: ok — mode vercel-oidc, assumed arn:aws:sts::/);
  expect(buildLog).not.toMatch(JWT);
});

test("with the audience set: health ok, one exchange for several requests, CloudTrail shows the audience", async () => {
  const url = exchanging.deployment.url;
  expect((await json(`${url}/api/health`)).body.ok).toBe(true);
  let stats: Record<string, unknown> = {};
  for (let i = 0; i < 4; i += 1) {
    const { status, body } = await json(`${url}/cases/stats`);
    expect(status, JSON.stringify(body)).toBe(200);
    stats = body.stats;
  }
  // Each request brought a new token; the credentials fetched with the first still serve.
  expect(stats).toMatchObject({ audience: AUDIENCE, audienceExchanges: 1, exchanges: 1 });
  const events = await eventsOf(exchanging.deployment);
  // One exchange per function process (each is its own Lambda, with its own provider).
  const functions = new Set(
    ["/api/health", "/cases/stats"].map((path) => exchanging.deployment.index.functions.get(path)),
  );
  expect(functions.has(undefined)).toBe(false);
  expect(events.length).toBe(functions.size);
  for (const event of events) {
    expect(event.errorCode).toBeUndefined();
    expect(event.responseElements?.audience).toBe(AUDIENCE);
  }
});

test("a failed exchange is explained and nothing reaches STS", async () => {
  const { status, body } = await json(`${failing.deployment.url}/cases/stats`);
  expect(status).toBe(503);
  expect(body.explained.code).toBe("oidc-audience-exchange-failed");
  expect(body.explained.title).toBe(
    `Vercel could not exchange the OIDC token for the audience ${AUDIENCE}`,
  );
  expect(body.explained.cause).toContain(`Failed to exchange token: ${REFUSAL}`);
  expect(body.explained.fixes.join(" ")).toContain("delete VERCEL_OIDC_AUDIENCE");
  expect(body.stats).toMatchObject({ audienceExchanges: 1, exchanges: 1 });
  const health = await json(`${failing.deployment.url}/api/health`);
  expect(health.status).toBe(503);
  expect(health.body.error.code).toBe("oidc-audience-exchange-failed");
  expect(await eventsOf(failing.deployment)).toEqual([]);
});

test("without the audience in the project, the custom stack refuses the team-audience token", async () => {
  const { status, body } = await json(`${unset.deployment.url}/cases/stats`);
  expect(status).toBe(503);
  expect(body.explained.code).toBe("audience-mismatch");
  expect(body.explained.fixes.join(" ")).toContain("set the same VERCEL_OIDC_AUDIENCE");
  expect(body.stats.audienceExchanges).toBe(0);
  const events = await eventsOf(unset.deployment);
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    expect(event.errorCode).toMatch(/^InvalidIdentityToken/);
    expect(event.errorMessage).toContain("Incorrect token audience");
  }
});
