// The routing Vercel's edge applies to `config.json`'s `routes` (Build Output API v3): phases split
// by `{ handle }` entries, `src` matched (anchored, case-insensitive) against the path, `has` /
// `missing` conditions, `$1` / `$name` substitution, `continue`, `check` against the filesystem,
// then `hit`, `miss` and `error`. Vercel's proxy is not published; `@vercel/routing-utils` gives
// the route types and tells handlers apart, so only the matching loop is written here — the
// subset of the spec that `@vercel/next`'s output uses.
import { type HandleValue, isHandler, type Route, type RouteWithSrc } from "@vercel/routing-utils";

export type Phase = HandleValue | null;

export interface RoutingRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  host: string;
  /** Set once the middleware (proxy) answered "continue": its route is passed over then. */
  middlewareDone?: boolean;
}

export interface RoutingResult {
  /** The path the filesystem or a function serves (after rewrites). */
  path: string;
  query: URLSearchParams;
  status?: number;
  /** Response headers the routes added (lower-case names). */
  headers: Record<string, string>;
  /** True when the path exists (static file, prerender or function). */
  found: boolean;
  /** A route named a middleware function (`middlewarePath`): it runs before anything else. */
  middleware?: string;
}

type Condition = NonNullable<RouteWithSrc["has"]>[number];

export function splitPhases(routes: Route[]): Map<Phase, RouteWithSrc[]> {
  const phases = new Map<Phase, RouteWithSrc[]>([[null, []]]);
  let current: Phase = null;
  for (const route of routes) {
    if (isHandler(route)) {
      current = route.handle;
      phases.set(current, phases.get(current) ?? []);
    } else {
      phases.get(current)?.push(route);
    }
  }
  return phases;
}

function substitute(template: string, captures: Record<string, string>): string {
  return template.replace(/\$(\d+|[A-Za-z_][A-Za-z0-9_]*)/g, (whole, key: string) =>
    key in captures ? (captures[key] ?? "") : whole,
  );
}

function conditionValue(condition: Condition, request: RoutingRequest): string | undefined {
  switch (condition.type) {
    case "header": {
      const value = request.headers[condition.key.toLowerCase()];
      return Array.isArray(value) ? value.join(", ") : value;
    }
    case "cookie": {
      const cookies = String(request.headers.cookie ?? "");
      const match = new RegExp(`(?:^|;\\s*)${condition.key}=([^;]*)`).exec(cookies);
      return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
    }
    case "query":
      return request.query.get(condition.key) ?? undefined;
    case "host":
      return request.host;
    default:
      return undefined;
  }
}

/** Whether the condition holds; its named groups join the captures. */
function holds(
  condition: Condition,
  request: RoutingRequest,
  captures: Record<string, string>,
): boolean {
  const value = conditionValue(condition, request);
  if (value === undefined) return false;
  const expected = "value" in condition ? condition.value : undefined;
  if (expected === undefined || typeof expected !== "string") return true;
  const match = new RegExp(`^(?:${expected})$`).exec(value);
  if (!match) return false;
  Object.assign(captures, match.groups ?? {});
  return true;
}

function matchRoute(
  route: RouteWithSrc,
  path: string,
  request: RoutingRequest,
): Record<string, string> | undefined {
  if (route.methods && !route.methods.includes(request.method)) return undefined;
  const match = new RegExp(`^(?:${route.src})$`, "i").exec(path);
  if (!match) return undefined;
  const captures: Record<string, string> = { ...match.groups };
  match.forEach((value, index) => {
    if (index > 0) captures[String(index)] = value ?? "";
  });
  for (const condition of route.has ?? []) {
    if (!holds(condition, request, captures)) return undefined;
  }
  for (const condition of route.missing ?? []) {
    if (holds(condition, request, {})) return undefined;
  }
  return captures;
}

interface State {
  middleware?: string;
  path: string;
  query: URLSearchParams;
  status?: number;
  headers: Record<string, string>;
}

type PhaseOutcome = "continue" | "done" | "found" | "miss" | "middleware";

export class Router {
  private readonly phases: Map<Phase, RouteWithSrc[]>;

  constructor(
    routes: Route[],
    private readonly exists: (path: string) => boolean,
  ) {
    this.phases = splitPhases(routes);
  }

  private applyDest(state: State, dest: string, captures: Record<string, string>) {
    const target = new URL(substitute(dest, captures), "http://route.local");
    state.path = decodeURIComponent(target.pathname);
    for (const [key, value] of target.searchParams) state.query.set(key, value);
  }

  private runPhase(phase: Phase, state: State, request: RoutingRequest): PhaseOutcome {
    for (const route of this.phases.get(phase) ?? []) {
      const captures = matchRoute(route, state.path, request);
      if (!captures) continue;
      // Next's proxy/middleware: the platform calls that function first and goes on routing only
      // when it answers `x-middleware-next` (rewrites and header edits by a proxy are not
      // reproduced: this app's tests use a proxy that answers itself or passes through).
      const middlewarePath = (route as { middlewarePath?: string }).middlewarePath;
      if (middlewarePath && phase === null) {
        if (request.middlewareDone) continue;
        state.middleware = middlewarePath;
        return "middleware";
      }
      for (const [name, value] of Object.entries(route.headers ?? {})) {
        const key = name.toLowerCase();
        // In `hit` and `miss`, earlier headers stay unless the route is `important`.
        if ((phase === "hit" || phase === "miss") && key in state.headers && !route.important) {
          continue;
        }
        state.headers[key] = substitute(value, captures);
      }
      if (route.status) state.status = route.status;
      if (route.dest) this.applyDest(state, route.dest, captures);
      if (route.check && route.dest) {
        if (this.exists(state.path)) return "found";
        if (phase !== "miss") {
          const missed = this.runPhase("miss", state, request);
          if (missed === "found") return "found";
        }
        if (route.continue) continue;
        return "miss";
      }
      if (route.continue) continue;
      return "done";
    }
    return "continue";
  }

  resolve(request: RoutingRequest): RoutingResult {
    const state: State = {
      path: request.path,
      query: new URLSearchParams(request.query),
      headers: {},
    };
    const finish = (found: boolean): RoutingResult => {
      if (found) this.runPhase("hit", state, request);
      else if (!state.status || state.status < 300 || state.status >= 400) {
        state.status = state.status && state.status >= 400 ? state.status : 404;
        this.runPhase("error", state, request);
      }
      return { ...state, found: found || this.exists(state.path) };
    };
    const first = this.runPhase(null, state, request);
    if (first === "middleware") return { ...state, found: true };
    const redirecting = state.status !== undefined && state.status >= 300 && state.status < 400;
    if (redirecting && state.headers.location) return { ...state, found: false };
    if (first === "found") return finish(true);
    if (first === "done") return finish(this.exists(state.path));
    if (state.status && state.status >= 400) return finish(false);

    if (this.exists(state.path)) return finish(true);
    for (const phase of ["filesystem", "rewrite", "resource"] as const) {
      const outcome = this.runPhase(phase, state, request);
      if (outcome === "found") return finish(true);
      if (outcome === "done") return finish(this.exists(state.path));
      if (state.status && state.status >= 400) return finish(false);
    }
    return finish(false);
  }
}
