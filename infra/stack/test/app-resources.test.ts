// App resources (src/app-resources.ts): what one declaration gives each environment, and how the
// app boundary, the deploy role and the outputs follow it — on the synthesized template.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_RESOURCE_METADATA_KEY,
  appResourceMetadataOf,
  appResourceNameOf,
  appResourceProblem,
  formatAppResourceArn,
} from "../src/app-resource-naming";
import type { AppResource } from "../src/app-resources";
import { loadInfraConfig } from "../src/config";
import { APP_BOUNDARY_LOGICAL_ID, GITHUB_DEPLOY_ROLE_LOGICAL_ID } from "../src/github-naming";
import { KeylessStack } from "../src/keyless-stack";
import { type CfnTemplate, createKeylessAppFromConfig } from "../src/synth";
import { appResourceRows, formatAppResourceRows } from "../src/trust/app-resources";
import { GITHUB_SAMPLE } from "./helpers/github-synth";
import { NOTES_TABLE } from "./helpers/notes-table";

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type Resource = CfnTemplate["Resources"][string] & {
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
};

const outRoot = mkdtempSync(join(tmpdir(), "keyless-app-resources-test-"));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

function synth(env: Record<string, string>, appResources: readonly AppResource[] = [NOTES_TABLE]) {
  const { app, stack } = createKeylessAppFromConfig(
    loadInfraConfig({ ...GITHUB_SAMPLE, VERCEL_ENVIRONMENTS: "production,preview", ...env }),
    mkdtempSync(join(outRoot, "out-")),
    appResources,
  );
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

const resourcesOf = (template: CfnTemplate) => template.Resources as Record<string, Resource>;
const statementsOf = (resource: Resource | undefined): Statement[] =>
  ((resource?.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ??
    []) as Statement[];
const listOf = (value: string | string[]) => [value].flat();
const policyOfRole = (template: CfnTemplate, roleId: string) =>
  Object.values(resourcesOf(template)).find(
    (resource) =>
      resource.Type === "AWS::IAM::Policy" &&
      JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
  );

describe("one declaration, every environment its own (the GitHub deploy role on)", {
  timeout: 60_000,
}, () => {
  let template: CfnTemplate;
  beforeAll(() => {
    template = synth({});
  });

  it("makes one table per environment under a fixed logical id, retained, with its metadata", () => {
    for (const environment of ["production", "preview"]) {
      const id = `NotesTable${environment === "production" ? "Production" : "Preview"}`;
      const table = resourcesOf(template)[id];
      expect(table?.Type).toBe("AWS::DynamoDB::Table");
      expect(table?.DeletionPolicy).toBe("Retain");
      expect(table?.UpdateReplacePolicy).toBe("Retain");
      // Named by CloudFormation: the deploy role and the boundary reach it by its name prefix.
      expect(table?.Properties?.TableName).toBeUndefined();
      expect(appResourceMetadataOf(table ?? { Type: "" })).toEqual({
        id: "NotesTable",
        environment,
        variable: "NOTES_TABLE",
        arnFormat: NOTES_TABLE.arnFormat,
      });
    }
  });

  it("grants each role its own table's ARN only, with exactly the declared actions", () => {
    for (const [role, own, other] of [
      ["VercelRoleProduction", "NotesTableProduction", "NotesTablePreview"],
      ["VercelRolePreview", "NotesTablePreview", "NotesTableProduction"],
    ] as const) {
      const statements = statementsOf(policyOfRole(template, role)).filter((statement) =>
        listOf(statement.Action).some((action) => action.startsWith("dynamodb:")),
      );
      expect(statements).toEqual([
        {
          Effect: "Allow",
          Action: [...NOTES_TABLE.actions],
          Resource: { "Fn::GetAtt": [own, "Arn"] },
        },
      ]);
      expect(JSON.stringify(policyOfRole(template, role))).not.toContain(other);
    }
  });

  it("puts the table's variable in each environment's Vercel lines", () => {
    const lines = JSON.stringify(template.Outputs?.VercelEnvPreview?.Value);
    expect(lines).toContain("NOTES_TABLE=");
    expect(lines).toContain('{"Ref":"NotesTablePreview"}');
    expect(lines).not.toContain("NotesTableProduction");
  });

  it("raises the app boundary to the declared actions on the stack's tables, and no further", () => {
    const boundary = statementsOf(resourcesOf(template)[APP_BOUNDARY_LOGICAL_ID]);
    const tables = boundary.filter((statement) =>
      listOf(statement.Action).some((action) => action.startsWith("dynamodb:")),
    );
    expect(tables).toHaveLength(1);
    expect(tables[0]?.Action).toEqual([...NOTES_TABLE.actions]);
    expect(JSON.stringify(tables[0]?.Resource)).toContain(
      ':dynamodb:us-east-1:",{"Ref":"AWS::AccountId"},":table/KeylessVercelOidc-NotesTable*',
    );
  });

  it("lets the deploy role deploy the tables: their deploy actions on the name prefix, their type in the change set", () => {
    const statements = statementsOf(policyOfRole(template, GITHUB_DEPLOY_ROLE_LOGICAL_ID));
    const tables = statements.filter((statement) =>
      listOf(statement.Action).includes("dynamodb:CreateTable"),
    );
    expect(tables).toHaveLength(1);
    expect(tables[0]?.Action).toEqual([...NOTES_TABLE.deployActions]);
    expect(JSON.stringify(tables[0]?.Resource)).toContain(":table/KeylessVercelOidc-NotesTable*");
    expect(JSON.stringify(statements)).toContain("AWS::DynamoDB::Table");
    // And never what could drop, expire or open the data, in its policy and its boundary.
    for (const policy of [statements, statementsOf(resourcesOf(template).GithubDeployBoundary)]) {
      const denied = policy.find(
        (statement) =>
          statement.Effect === "Deny" && listOf(statement.Action).includes("dynamodb:Delete*"),
      );
      expect(listOf(denied?.Action ?? [])).toEqual(
        expect.arrayContaining([
          "dynamodb:Restore*",
          "dynamodb:Put*Policy",
          "dynamodb:UpdateTimeToLive",
          "dynamodb:UpdateContinuousBackups",
        ]),
      );
      expect(JSON.stringify(denied?.Resource)).toContain(":table/KeylessVercelOidc-NotesTable*");
    }
  });
});

/** A one-environment stack with these app resources. */
const stackWith = (appResources: AppResource[]) =>
  new KeylessStack(new App(), "S", {
    teamSlug: "acme",
    projectName: "web",
    environments: ["production"],
    appResources,
  });

describe("trust:check's app-resource rows (the permission evaluator on the template)", {
  timeout: 60_000,
}, () => {
  const place = {
    partition: "aws",
    region: "us-east-1",
    account: "123456789012",
    stackName: "KeylessVercelOidc",
  };
  let template: CfnTemplate;
  beforeAll(() => {
    template = synth({});
  });
  const summary = (rows: ReturnType<typeof appResourceRows>) =>
    rows.map((row) => `${row.ok ? "ok" : "WRONG"} ${row.who} ${row.resource} ${row.expected}`);

  it("each role its own table only, and the deploy role may deploy both, within their boundaries", () => {
    const rows = appResourceRows(template, [NOTES_TABLE], place, ["production", "preview"]);
    expect(summary(rows)).toEqual([
      "ok production role NotesTableProduction allowed",
      "ok preview role NotesTableProduction denied",
      "ok GitHub deploy role NotesTableProduction allowed",
      "ok production role NotesTablePreview denied",
      "ok preview role NotesTablePreview allowed",
      "ok GitHub deploy role NotesTablePreview allowed",
    ]);
    expect(rows[1]?.reason).toBe(
      "because no identity-based policy allows the dynamodb:GetItem action",
    );
    expect(formatAppResourceRows(rows)).toMatch(
      /ok\s+preview role\s+NotesTableProduction\s+denied\s+dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query/,
    );
  });

  it("a preview policy widened to production's table is WRONG (the app boundary holds every table of the stack)", () => {
    const widened = structuredClone(template);
    const previewPolicy = Object.values(widened.Resources).find(
      (resource) =>
        resource.Type === "AWS::IAM::Policy" &&
        JSON.stringify(resource.Properties?.Roles) === '[{"Ref":"VercelRolePreview"}]',
    );
    const document = previewPolicy?.Properties?.PolicyDocument as { Statement: unknown[] };
    document.Statement.push({
      Effect: "Allow",
      Action: "dynamodb:GetItem",
      Resource: { "Fn::GetAtt": ["NotesTableProduction", "Arn"] },
    });
    const rows = appResourceRows(widened, [NOTES_TABLE], place, ["production", "preview"]);
    const wrong = rows.filter((row) => !row.ok);
    expect(wrong).toEqual([
      expect.objectContaining({
        who: "preview role",
        resource: "NotesTableProduction",
        contrary: ["dynamodb:GetItem"],
      }),
    ]);
    expect(formatAppResourceRows(wrong)).toContain(
      "expected denied; dynamodb:GetItem allowed: allowed by an identity-based policy",
    );
  });

  it("an undeclared action, or a policy shared with another role, is tried as well", () => {
    // Without the GitHub deploy role there is no app boundary: the role's policies are all there is.
    const widened = structuredClone(synth({ KEYLESS_GITHUB_REPOSITORY: "" }));
    widened.Resources.SharedNotesPolicy = {
      Type: "AWS::IAM::Policy",
      Properties: {
        PolicyName: "shared",
        Roles: [{ Ref: "VercelRoleProduction" }, { Ref: "VercelRolePreview" }],
        PolicyDocument: {
          Statement: [
            {
              Effect: "Allow",
              Action: "dynamodb:Scan",
              Resource: { "Fn::GetAtt": ["NotesTableProduction", "Arn"] },
            },
          ],
        },
      },
    };
    const rows = appResourceRows(widened, [NOTES_TABLE], place, ["production", "preview"]);
    expect(rows.filter((row) => !row.ok)).toEqual([
      expect.objectContaining({
        who: "preview role",
        resource: "NotesTableProduction",
        contrary: ["dynamodb:Scan"],
      }),
    ]);
    // With the app boundary the same Scan is capped: only declared actions can ever be granted.
    const bounded = structuredClone(template);
    bounded.Resources.SharedNotesPolicy = widened.Resources.SharedNotesPolicy as never;
    const boundedRows = appResourceRows(bounded, [NOTES_TABLE], place, ["production", "preview"]);
    expect(boundedRows.every((row) => row.ok)).toBe(true);
    expect(boundedRows[1]?.actions).toContain("dynamodb:Scan");
  });

  it("a deploy action the deploy role was not given is WRONG, named", () => {
    const rows = appResourceRows(
      template,
      [{ ...NOTES_TABLE, deployActions: ["dynamodb:CreateTable", "dynamodb:DeleteTable"] }],
      place,
      ["production"],
    );
    expect(rows.find((row) => !row.ok)).toMatchObject({
      who: "GitHub deploy role",
      contrary: ["dynamodb:DeleteTable"],
    });
  });
});

describe("declarations the stack refuses, before anything is synthesized", () => {
  const declare = (change: Partial<AppResource>) => ({ ...NOTES_TABLE, ...change });
  it.each([
    [{ id: "notes" }, /PascalCase/],
    [{ id: "VercelRoleNotes" }, /the stack's own resources use/],
    [{ variable: "notes" }, /in capitals/],
    [{ variable: "AWS_TABLE" }, /is one the template, Vercel or AWS Lambda uses/],
    [
      { variable: "ENABLE_EXPERIMENTAL_COREPACK" },
      /is one the template, Vercel or AWS Lambda uses/,
    ],
    [{ id: "App" }, /the stack's own resources use/],
    [{ actions: [] }, /actions is empty/],
    [{ actions: ["dynamodb:*"] }, /"dynamodb:\*" is not one exact action/],
    [{ deployActions: ["dynamodb:DeleteTable"] }, /administrator deploys/],
    [{ deployActions: ["dynamodb:PutResourcePolicy"] }, /administrator deploys/],
    // IAM action names ignore case; expiry, backups and permissions are administrator deploys too.
    [{ deployActions: ["dynamodb:deleteTable"] }, /administrator deploys/],
    [{ deployActions: ["dynamodb:UpdateTimeToLive"] }, /administrator deploys/],
    [{ deployActions: ["dynamodb:UpdateContinuousBackups"] }, /administrator deploys/],
    [{ deployActions: ["sns:AddPermission"] }, /administrator deploys/],
    [{ deployActions: ["sqs:SetQueueAttributes"] }, /administrator deploys/],
    [{ arnFormat: "arn:aws:dynamodb:::table/x" }, /must be arn:\{partition\}:<service>/],
    [{ arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/*" }, /must be arn/],
    [{ arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/{name}*" }, /must be arn/],
    [{ arnFormat: "arn:{partition}:s3:::{name}" }, /names a bucket: use the app bucket/],
  ])("%o", (change, message) => {
    expect(appResourceProblem(declare(change))).toMatch(message);
    expect(() => stackWith([declare(change)])).toThrow(message);
  });

  it("two declarations with one id, one variable, or one id starting the other's", () => {
    const stack = stackWith;
    expect(() => stack([NOTES_TABLE, NOTES_TABLE])).toThrow(/declared twice/);
    expect(() => stack([NOTES_TABLE, { ...NOTES_TABLE, id: "Other" }])).toThrow(/declared twice/);
    expect(() =>
      stack([NOTES_TABLE, { ...NOTES_TABLE, id: "NotesTableArchive", variable: "ARCHIVE" }]),
    ).toThrow(/NotesTable starts the same way/);
  });

  it("a create() that names its construct otherwise is explained", () => {
    expect(() =>
      stackWith([{ ...NOTES_TABLE, create: (scope) => NOTES_TABLE.create(scope, "Notes") }]),
    ).toThrow(/made no construct with the id it was given \(NotesTableProduction\)/);
  });
});

describe("the pure rules", () => {
  it("formatAppResourceArn fills every placeholder", () => {
    expect(
      formatAppResourceArn(
        NOTES_TABLE.arnFormat,
        { partition: "aws", region: "eu-west-1", account: "111122223333" },
        "S-NotesTableProduction-ABC",
      ),
    ).toBe("arn:aws:dynamodb:eu-west-1:111122223333:table/S-NotesTableProduction-ABC");
  });

  it("{name} is the physical id's last part: a table's name, a queue's URL, a topic's ARN", () => {
    const parts = { partition: "aws", region: "eu-west-1", account: "111122223333" };
    expect(appResourceNameOf("S-NotesTableProduction-ABC")).toBe("S-NotesTableProduction-ABC");
    expect(
      formatAppResourceArn(
        "arn:{partition}:sqs:{region}:{account}:{name}",
        parts,
        "https://sqs.eu-west-1.amazonaws.com/111122223333/S-JobsQueueProduction-XYZ",
      ),
    ).toBe("arn:aws:sqs:eu-west-1:111122223333:S-JobsQueueProduction-XYZ");
    expect(
      formatAppResourceArn(
        "arn:{partition}:sns:{region}:{account}:{name}",
        parts,
        "arn:aws:sns:eu-west-1:111122223333:S-EventsTopicProduction-XYZ",
      ),
    ).toBe("arn:aws:sns:eu-west-1:111122223333:S-EventsTopicProduction-XYZ");
  });

  it("appResourceMetadataOf reads only well-formed metadata", () => {
    expect(appResourceMetadataOf({})).toBeUndefined();
    expect(
      appResourceMetadataOf({ Metadata: { [APP_RESOURCE_METADATA_KEY]: { id: "X" } } }),
    ).toBeUndefined();
  });
});
