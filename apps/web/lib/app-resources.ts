import "server-only";
import { diagnose } from "@repo/aws-auth/mode";
import { isProductionDeployment } from "./deployment";
import { errorResponse, requestProblem } from "./http";
import { forVisitors, type PublicError, toPublicError } from "./public-error";

// For routes on the app's own AWS resources (infra/stack/src/app-resources.ts): the resource's
// name from its variable, and any failure as an explained answer. The worked example is
// docs/add-a-resource.md.

type Env = Record<string, string | undefined>;

/** Thrown when a resource's variable is unset: the answer says where its value comes from. */
export class AppResourceNotConfigured extends Error {
  override name = "AppResourceNotConfigured";
  constructor(readonly variable: string) {
    super(`${variable} is not set`);
  }
}

/** This environment's resource named by `variable` (NOTES_TABLE); throws when it is unset. */
export function appResourceName(variable: string, env: Env = process.env): string {
  const value = env[variable]?.trim();
  if (!value) throw new AppResourceNotConfigured(variable);
  return value;
}

function notConfigured(variable: string): PublicError {
  return requestProblem(
    "resource-not-configured",
    `${variable} is not set`,
    `${variable} names this environment's resource from infra/stack/src/app-resources.ts, and this deployment has no value for it.`,
    [
      "Deploy the stack (`pnpm infra:deploy`), then run `pnpm vercel:env --apply`: it sets the variable for each environment from the stack, and redeploy.",
      "Locally, restart `pnpm sandbox`: it deploys the resource and writes the variable to the app's environment.",
    ],
  );
}

/**
 * A failed call as a 503 with the explained error: the owner's fix in development and preview,
 * only the code and a plain sentence for production's visitors (the rest goes to the log).
 */
export function awsFailureResponse(error: unknown, env: Env = process.env): Response {
  const explained =
    error instanceof AppResourceNotConfigured
      ? notConfigured(error.variable)
      : toPublicError(error, diagnose(env));
  return errorResponse(forVisitors(explained, isProductionDeployment(env)), 503);
}
