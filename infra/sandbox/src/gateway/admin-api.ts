import type { IncomingMessage, ServerResponse } from "node:http";
import { type DeploymentFacts, factDifferences } from "@repo/infra/deployment-facts";
import { type FaultSpec, faultSpecProblem } from "../faults";
import { readJsonBody, refuseBrowserRequests, sendJson } from "../http";
import { emptyStats, type GatewayContext } from "./context";

/** /_sandbox/*: the sandbox's own admin API (health, stats, faults, events, the deployment check). */

export async function adminApi(
  context: GatewayContext,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) {
  const { options } = context;
  const { cloudTrail, faults } = options;
  const method = request.method ?? "GET";
  if (method !== "GET" && !refuseBrowserRequests(request, response)) return;
  const route = `${method} ${path.replace(/\/$/, "")}`;
  switch (route) {
    case "GET /_sandbox/health":
      sendJson(response, 200, { ok: true });
      return;
    case "GET /_sandbox/stats":
      sendJson(response, 200, {
        ...context.stats,
        faults: faults.list(),
        cloudTrailEvents: cloudTrail.size,
      });
      return;
    case "POST /_sandbox/stats/reset":
      context.stats = emptyStats();
      sendJson(response, 200, context.stats);
      return;
    case "GET /_sandbox/faults":
      sendJson(response, 200, { faults: faults.list() });
      return;
    case "POST /_sandbox/faults": {
      const spec = await readJsonBody(request);
      const problem = faultSpecProblem(spec);
      if (problem) {
        sendJson(response, 400, { error: problem });
        return;
      }
      sendJson(response, 201, { fault: faults.inject(spec as FaultSpec) });
      return;
    }
    case "DELETE /_sandbox/faults":
      faults.clear();
      sendJson(response, 200, { faults: [] });
      return;
    case "GET /_sandbox/cloudtrail/events":
      sendJson(response, 200, { events: cloudTrail.events() });
      return;
    case "POST /_sandbox/deployment": {
      const body = (await readJsonBody(request)) as { facts?: unknown } | undefined;
      const wanted = body?.facts;
      if (!options.deployment || typeof wanted !== "object" || wanted === null) {
        sendJson(response, 400, {
          error: "send { facts } (deploymentFacts of the configuration)",
        });
        return;
      }
      sendJson(response, 200, {
        stackName: options.deployment.stackName,
        differences: factDifferences(options.deployment.facts, wanted as DeploymentFacts),
      });
      return;
    }
    default:
      sendJson(response, 404, {
        error: `no sandbox route ${route}; see infra/sandbox/README.md`,
      });
  }
}
