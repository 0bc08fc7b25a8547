// The sample configuration every workspace's tests share. It is defined in the stack's test
// helpers (the stack's own tests need it and cannot depend on the sandbox) and reached through here
// by everyone else, so there is exactly one.
export {
  isolatedInfraEnv,
  SAMPLE_CONFIG,
  sampleSubject,
} from "@repo/infra/testing/sample-config";
