// Your app's own AWS resources: the one place to declare them. Each declaration gives every
// trusted Vercel environment a resource of its own (NotesTableProduction, NotesTablePreview, …),
// grants that environment's role `actions` on its own one only, and everything else follows:
// the app boundary and the GitHub deploy role's scope (the stack's name prefix), the Vercel
// variable that names it (`variable`, set by `pnpm vercel:env --apply` and written to the
// sandbox's app.env), `pnpm verify`'s exact-grant check, and the sandbox, which deploys it.
// Every app resource is retained when the stack is deleted, like the bucket.
//
// Worked example, step by step: docs/add-a-resource.md (a DynamoDB table).

import type { Construct } from "constructs";

/** What `create` made: the ARNs the environment's role is granted. */
export interface AppResourceInstance {
  /** ARNs the environment's role gets `actions` on, e.g. `[table.tableArn]`. */
  readonly arns: readonly string[];
}

export interface AppResource {
  /** PascalCase; each environment's logical id is `<id><Environment>` (NotesTableProduction). */
  readonly id: string;
  /**
   * The variable the app reads its environment's resource from (NOTES_TABLE). It holds the
   * resource's physical id, CloudFormation's `Ref`: a table's name, a queue's URL, a topic's ARN.
   */
  readonly variable: string;
  /**
   * Makes one environment's resource as a construct with exactly this `id` under `scope`. Leave
   * its name to CloudFormation (`<stack>-<logical id>-<random>`): the deploy role and the app
   * boundary reach app resources by that name prefix.
   */
  readonly create: (scope: Construct, id: string) => AppResourceInstance;
  /** Exact actions each environment's role may take on its own resource. */
  readonly actions: readonly string[];
  /**
   * The ARN of one of them, for verify and the boundaries. `{name}` is the resource's name: its
   * physical id's last part after a `/` or `:` (a table's name; a queue's from its URL):
   * `arn:{partition}:dynamodb:{region}:{account}:table/{name}`,
   * `arn:{partition}:sqs:{region}:{account}:{name}`.
   */
  readonly arnFormat: string;
  /**
   * What CloudFormation calls to create and update one (with the GitHub deploy role on, a deploy
   * run makes these calls as that role). Leave out deletes and resource policies: those stay
   * administrator deploys.
   */
  readonly deployActions: readonly string[];
}

export const APP_RESOURCES: readonly AppResource[] = [];
