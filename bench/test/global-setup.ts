import type { TestProject } from "vitest/node";
import { type RunningSandbox, spawnSandbox } from "./helpers/sandbox-process";

declare module "vitest" {
  export interface ProvidedContext {
    sandbox: RunningSandbox;
  }
}

/** One sandbox for the whole suite: starting moto and deploying the stack is the slow part. */
export default async function setup(project: TestProject) {
  const { sandbox, stop } = await spawnSandbox();
  project.provide("sandbox", sandbox);
  return stop;
}
