import { defineConfig } from "vitest/config";

// `pnpm --filter @repo/template test:copy`: `pnpm template:trim` in fresh copies of the
// repository, each installed, trimmed and checked (typecheck, lint, the docs; the core copy also
// builds and runs every workspace's unit tests). Its own turbo task, apart from `test`: the copy
// trimmed to the core runs `turbo run test` itself, which must not start these again. One file at
// a time: each copy's checks already use both cores.
export default defineConfig({
  test: {
    include: ["test-copy/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
  },
});
