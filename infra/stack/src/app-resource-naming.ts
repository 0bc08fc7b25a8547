// The rules for app resources (app-resources.ts), pure (no aws-cdk-lib): their logical ids, the
// metadata the stack writes on each, the ARN of one from its physical id, and the checks on what a
// user declares. The stack builds from these; vercel:env, verify and the sandbox read a deployed
// stack's app resources through them without loading the CDK.

import { environmentSuffix, type VercelEnvironment } from "./vercel-naming";

/**
 * The template Metadata key on each app resource. Its value (AppResourceMetadata) says which
 * environment the resource belongs to and which variable names it: vercel:env and verify read it
 * with the stack's template (GetTemplate), and take the resource itself from the stack's resources.
 */
export const APP_RESOURCE_METADATA_KEY = "Keyless::AppResource";

export interface AppResourceMetadata {
  /** The declaration's id (NotesTable). */
  readonly id: string;
  readonly environment: VercelEnvironment;
  /** The app's variable for it (NOTES_TABLE); its value is the resource's physical id. */
  readonly variable: string;
  /** Its ARN from its physical id: see formatAppResourceArn. */
  readonly arnFormat: string;
}

/** One environment's resource: `NotesTable` + `production` → NotesTableProduction. */
export const appResourceLogicalId = (id: string, environment: VercelEnvironment): string =>
  `${id}${environmentSuffix(environment)}`;

/**
 * The start of every name CloudFormation generates for a declaration's resources
 * (`<stack>-<logical id>-<random>`): the deploy role's and the app boundary's scope for them.
 */
export const appResourceNamePrefix = (stackName: string, id: string): string =>
  `${stackName}-${id}`;

export interface ArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * A resource's name from its physical id: the part after the last `/` or `:` — a table's name is
 * its physical id, a queue's URL and a topic's ARN end with theirs.
 */
export const appResourceNameOf = (physicalId: string): string =>
  physicalId.split(/[/:]/).pop() ?? physicalId;

/**
 * `arnFormat` with `{partition}`, `{region}`, `{account}` and `{name}` (appResourceNameOf the
 * physical id, or a name pattern) filled in:
 * `arn:{partition}:dynamodb:{region}:{account}:table/{name}` names a table.
 */
export function formatAppResourceArn(
  arnFormat: string,
  parts: ArnParts,
  physicalId: string,
): string {
  const values: Record<string, string> = { ...parts, name: appResourceNameOf(physicalId) };
  return arnFormat.replace(
    /\{(partition|region|account|name)\}/g,
    (_, key: string) => values[key] ?? "",
  );
}

/** Variables the template's own code sets: an app resource may not take one of these names. */
const RESERVED_VARIABLE =
  /^(AWS_|VERCEL_|KEYLESS_|S3_|NEXT_|NODE_|LAMBDA_|NOW_|_|TZ$|ENABLE_EXPERIMENTAL_COREPACK$)/;

/** Logical-id starts of the stack's own resources, whose name prefixes the deploy role holds. */
const RESERVED_ID_STARTS = ["VercelRole", "AppBucket", "AppBoundary", "Github", "VercelOidc"];

const EXACT_ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;
const ARN_FORMAT =
  /^arn:\{partition\}:[a-z0-9-]+:(\{region\})?:(\{account\})?:([A-Za-z0-9-]+[/:])?\{name\}$/;
/**
 * What a deploy run never gets on an app resource, in any service (IAM action names ignore case):
 * deleting or purging data, restoring over it, resource policies and permissions (no boundary
 * caps those), and the settings that could expire data or switch recovery off. The deploy role
 * is also denied them (appResourceDenials), so they hold if an Allow is ever widened.
 */
export const ADMINISTRATOR_ONLY_ACTIONS = [
  "Delete*",
  "Remove*",
  "Purge*",
  "Restore*",
  "Put*Policy",
  "Set*Policy",
  "AddPermission",
  "Set*Attributes",
  "UpdateTimeToLive",
  "UpdateContinuousBackups",
] as const;
const ADMINISTRATOR_ONLY = new RegExp(
  `:(${ADMINISTRATOR_ONLY_ACTIONS.map((action) => action.replace("*", "[A-Za-z]*")).join("|")})$`,
  "i",
);

/** The service of an ARN format: `arn:{partition}:dynamodb:…` → dynamodb. */
export const appResourceService = (arnFormat: string): string => arnFormat.split(":")[2] ?? "";

/** Why a declaration cannot be used, or undefined: checked before anything is synthesized. */
export function appResourceProblem(declaration: {
  readonly id: string;
  readonly variable: string;
  readonly actions: readonly string[];
  readonly arnFormat: string;
  readonly deployActions: readonly string[];
}): string | undefined {
  const { id, variable, actions, arnFormat, deployActions } = declaration;
  if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(id)) {
    return `id "${id}" must be PascalCase letters and digits (e.g. NotesTable): it starts each environment's logical id`;
  }
  // Either way round: an id that starts a reserved name (`App`) would reach those resources too.
  const taken = RESERVED_ID_STARTS.find((start) => id.startsWith(start) || start.startsWith(id));
  if (taken !== undefined) {
    return `id "${id}" starts with ${taken}, which the stack's own resources use (the deploy role reaches them by that name prefix); pick another`;
  }
  if (!/^[A-Z][A-Z0-9_]*$/.test(variable)) {
    return `${id}: variable "${variable}" must be an environment variable name in capitals (e.g. NOTES_TABLE)`;
  }
  if (RESERVED_VARIABLE.test(variable)) {
    return `${id}: variable "${variable}" is one the template, Vercel or AWS Lambda uses (AWS_, VERCEL_, KEYLESS_, S3_, NEXT_, NODE_, LAMBDA_, NOW_, _…, TZ, ENABLE_EXPERIMENTAL_COREPACK); pick another (e.g. NOTES_TABLE)`;
  }
  if (actions.length === 0) {
    return `${id}: actions is empty; list what each environment's role may do with its own resource (e.g. dynamodb:GetItem)`;
  }
  const wide = [...actions, ...deployActions].find((action) => !EXACT_ACTION.test(action));
  if (wide !== undefined) {
    return `${id}: action "${wide}" is not one exact action (service:Action, no wildcard)`;
  }
  const kept = deployActions.find((action) => ADMINISTRATOR_ONLY.test(action));
  if (kept !== undefined) {
    return `${id}: deployActions has ${kept}; deletes, restores, resource policies and permissions, data expiry and backup settings stay administrator deploys (a run could drop or expire the data, switch recovery off, or open it to another account, which no boundary caps)`;
  }
  const format = arnFormatProblem(arnFormat);
  return format ? `${id}: ${format}` : undefined;
}

/**
 * Why `arnFormat` does not name exactly one resource by its name, or undefined. Also applied to
 * the format a deployed stack's Metadata holds (verify, vercel:env): Metadata is text a deploy run
 * can rewrite, so a format that would widen what verify accepts is refused there too.
 */
export function arnFormatProblem(arnFormat: string): string | undefined {
  if (!ARN_FORMAT.test(arnFormat)) {
    return `arnFormat "${arnFormat}" must be arn:{partition}:<service>:{region}:{account}:<type>/{name} with nothing else variable (e.g. arn:{partition}:dynamodb:{region}:{account}:table/{name}, arn:{partition}:sqs:{region}:{account}:{name})`;
  }
  if (appResourceService(arnFormat) === "s3") {
    return `arnFormat "${arnFormat}" names a bucket: use the app bucket (each environment has its own prefix); CloudFormation lower-cases generated bucket names, which the stack's name-prefix scopes cannot match`;
  }
  return undefined;
}

/** The metadata of a template resource, when it is an app resource. */
export function appResourceMetadataOf(resource: {
  readonly Metadata?: Record<string, unknown>;
}): AppResourceMetadata | undefined {
  const value = resource.Metadata?.[APP_RESOURCE_METADATA_KEY];
  if (typeof value !== "object" || value === null) return undefined;
  const { id, environment, variable, arnFormat } = value as Record<string, unknown>;
  if ([id, environment, variable, arnFormat].some((field) => typeof field !== "string")) {
    return undefined;
  }
  return value as AppResourceMetadata;
}
