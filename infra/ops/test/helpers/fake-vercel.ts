// The fake Vercel API of these tests is the sandbox's Vercel API stand-in (one server, one set of
// shapes): see infra/sandbox/src/vercel-api.ts.
export {
  type FakeCustomEnvironment,
  type FakeEnvSeed,
  type FakeEnvVar,
  type FakeProjectSettings,
  type FakeVercel,
  newEnvId,
  type RecordedRequest,
  startFakeVercel,
  storedEnv,
} from "@repo/sandbox/vercel-api";
