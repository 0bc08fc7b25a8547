import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answers, freePort, startUntil, timed } from "./lib/processes";
import { REPO_ROOT } from "./p4-bundles";

/**
 * P5 — the developer loop, in a fresh clone of the committed HEAD (so nothing of this checkout's
 * node_modules, .turbo or .next helps): cold install from pnpm's store, `pnpm build` twice (the
 * second must be FULL TURBO), `pnpm test`, `pnpm sandbox` until ready, `next dev` until `/` answers.
 */
export interface P5Result {
  installSeconds: number;
  buildSeconds: number;
  cachedBuildSeconds: number;
  cachedBuildFullTurbo: boolean;
  testSeconds?: number;
  testExitCode?: number | null;
  /** The end of `pnpm test`'s output when it failed. */
  testFailure?: string;
  /** When Biome stopped `pnpm test` first: the rest of it (`turbo run typecheck test e2e`) timed alone. */
  testWithoutLint?: { seconds: number; exitCode: number | null; failure?: string };
  /** Seconds per turbo task of the test run, slowest first (from turbo's run summary). */
  slowestTestTasks?: Record<string, number>;
  sandboxReadySeconds: number;
  nextDevFirstPageSeconds: number;
}

export async function runP5(options: { quick: boolean }): Promise<P5Result> {
  const parent = await mkdtemp(join(tmpdir(), "keyless-devloop-"));
  const clone = join(parent, "keyless");
  // Child processes get this machine's environment minus anything pointing at AWS or Vercel.
  // TURBO_RUN_SUMMARY: turbo writes .turbo/runs/*.json with each task's time.
  // (Not only PATH and HOME: the machine's CA settings must reach the Corepack download that
  // `vercel build` makes in the Vercel-path tests.)
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(AWS_|VERCEL|TURBO_|npm_)/.test(name)),
    ),
    CI: "1",
    TURBO_RUN_SUMMARY: "true",
  };
  try {
    const cloned = await timed("git", ["clone", "--quiet", REPO_ROOT, clone], { cwd: parent });
    if (cloned.code !== 0) throw new Error(`git clone failed:\n${cloned.output}`);
    const step = async (args: string[], timeoutMs = 600_000) => {
      const result = await timed("pnpm", args, { cwd: clone, env, timeoutMs });
      return result;
    };
    const install = await step(["install", "--frozen-lockfile", "--prefer-offline"]);
    if (install.code !== 0) throw new Error(`install failed:\n${install.output.slice(-3000)}`);
    const build = await step(["build"]);
    if (build.code !== 0) throw new Error(`pnpm build failed:\n${build.output.slice(-3000)}`);
    const cached = await step(["build"]);
    const test = options.quick ? undefined : await step(["test"], 1_200_000);
    // Turbo ends every run with "Tasks: N successful, M total"; without it, Biome stopped the run.
    const lintStopped = test !== undefined && test.code !== 0 && !/Tasks:\s+\d/.test(test.output);
    const rest = lintStopped
      ? await step(["exec", "turbo", "run", "typecheck", "test", "e2e"], 1_200_000)
      : undefined;

    const stateDir = join(parent, "sandbox-state");
    const sandbox = await startUntil(
      "pnpm",
      ["sandbox", "--state-dir", stateDir],
      { cwd: clone, env },
      (output) => /sandbox ready/i.test(output),
    );
    const sandboxReadySeconds = sandbox.seconds;
    await sandbox.stop();

    const port = await freePort();
    const dev = await startUntil(
      join(clone, "apps/web/node_modules/.bin/next"),
      ["dev", "-p", String(port), "-H", "127.0.0.1"],
      { cwd: join(clone, "apps/web"), env },
      () => answers(`http://127.0.0.1:${port}/`),
    );
    await dev.stop();

    const slowestTestTasks = test ? await taskSeconds(clone) : undefined;

    return {
      ...(slowestTestTasks ? { slowestTestTasks } : {}),
      installSeconds: install.seconds,
      buildSeconds: build.seconds,
      cachedBuildSeconds: cached.seconds,
      cachedBuildFullTurbo: /FULL TURBO/.test(cached.output),
      ...(test ? { testSeconds: test.seconds, testExitCode: test.code } : {}),
      ...(test && test.code !== 0 ? { testFailure: plain(test.output).slice(-4000) } : {}),
      ...(rest
        ? {
            testWithoutLint: {
              seconds: rest.seconds,
              exitCode: rest.code,
              ...(rest.code !== 0 ? { failure: plain(rest.output).slice(-4000) } : {}),
            },
          }
        : {}),
      sandboxReadySeconds,
      nextDevFirstPageSeconds: dev.seconds,
    };
  } finally {
    // A stopped `next dev` may still be flushing its cache for a moment.
    await rm(parent, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
  }
}

/** Output without terminal colours. */
function plain(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * Task durations of the test run, from turbo's run summaries: `pnpm test` runs turbo twice side by
 * side (the longest workspace gets a run of its own), so every summary but the builds' counts.
 */
async function taskSeconds(repo: string): Promise<Record<string, number> | undefined> {
  const dir = join(repo, ".turbo/runs");
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"));
  const seconds: [string, number][] = [];
  for (const file of files) {
    const summary = JSON.parse(await readFile(join(dir, file), "utf8")) as {
      tasks?: { taskId: string; execution?: { startTime: number; endTime: number } }[];
    };
    for (const task of summary.tasks ?? []) {
      if (!task.execution || task.taskId.endsWith("#build")) continue;
      const { startTime, endTime } = task.execution;
      seconds.push([task.taskId, Math.round((endTime - startTime) / 100) / 10]);
    }
  }
  return seconds.length ? Object.fromEntries(seconds.sort((a, b) => b[1] - a[1])) : undefined;
}
