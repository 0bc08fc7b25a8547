import type { TestProject } from "vitest/node";
import { startMoto } from "./moto";

declare module "vitest" {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** One moto server for the whole run; each test file uses its own bucket. */
export default async function setup(project: TestProject) {
  const moto = await startMoto();
  project.provide("motoEndpoint", moto.endpoint);
  return () => moto.stop();
}
