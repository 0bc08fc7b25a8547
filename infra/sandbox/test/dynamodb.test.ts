// DynamoDB decided per table at the gateway (src/gateway/dynamodb.ts): moto 5.2.1 checks DynamoDB
// calls by action against "*" only, so the gateway evaluates a role's own policies and boundary
// for every table a call names. What must hold: a role reaches exactly the tables its policy
// names, a boundary caps it, refusals have DynamoDB's shape and name the table, and the sandbox's
// own calls are untouched.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TagResourceCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreatePolicyCommand,
  DeleteRolePermissionsBoundaryCommand,
  IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamodbTargets } from "../src/gateway/dynamodb";
import { type SandboxHandle, startSandbox } from "../src/index";
import { roleCredentials } from "./helpers/role-credentials";

let sandbox: SandboxHandle;
let stateDir: string;
/** The sandbox's own access (placeholder key: the gateway signs it as the admin). */
let admin: { dynamodb: DynamoDBClient; iam: IAMClient };
const OWN = "notes-production";
const OTHER = "notes-preview";

const placeholder = () => ({
  region: sandbox.region,
  endpoint: sandbox.endpoint,
  maxAttempts: 1,
  credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
});

async function roleDynamodb(environment: string): Promise<DynamoDBClient> {
  return new DynamoDBClient({
    region: sandbox.region,
    endpoint: sandbox.endpoint,
    maxAttempts: 1,
    credentials: await roleCredentials(sandbox, environment),
  });
}

const tableArn = (name: string) =>
  `arn:aws:dynamodb:${sandbox.region}:${sandbox.accountId}:table/${name}`;
const roleName = (environment: string) => sandbox.roleArns[environment]?.split("/").pop() ?? "";
const item = (id: string) => ({ pk: { S: id }, text: { S: `note ${id}` } });
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => "succeeded",
    (error: { name?: string; message?: string }) => `${error.name}: ${error.message}`,
  );

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "keyless-dynamodb-"));
  sandbox = await startSandbox({ stateDir, env: { VERCEL_ENVIRONMENTS: "production,preview" } });
  admin = { dynamodb: new DynamoDBClient(placeholder()), iam: new IAMClient(placeholder()) };
  for (const TableName of [OWN, OTHER]) {
    await admin.dynamodb.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    await admin.dynamodb.send(new PutItemCommand({ TableName, Item: item("seed") }));
  }
  // What an app resource declaration grants: exact actions on the environment's own table.
  await admin.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName("production"),
      PolicyName: "notes",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            Resource: tableArn(OWN),
          },
        ],
      }),
    }),
  );
}, 120_000);

afterAll(async () => {
  admin?.dynamodb.destroy();
  admin?.iam.destroy();
  await sandbox?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("a role's DynamoDB calls, decided by table", () => {
  it("reads and writes the table its policy names (which moto alone would refuse: it checks '*')", async () => {
    const production = await roleDynamodb("production");
    await production.send(new PutItemCommand({ TableName: OWN, Item: item("a") }));
    const { Item } = await production.send(
      new GetItemCommand({ TableName: OWN, Key: { pk: { S: "a" } } }),
    );
    expect(Item?.text?.S).toBe("note a");
    production.destroy();
  });

  it("is refused another table, in DynamoDB's shape, naming the caller and the table", async () => {
    const production = await roleDynamodb("production");
    const refused = await outcome(
      production.send(new GetItemCommand({ TableName: OTHER, Key: { pk: { S: "seed" } } })),
    );
    expect(refused).toBe(
      `AccessDeniedException: User: arn:aws:sts::${sandbox.accountId}:assumed-role/${roleName("production")}/vercel-production-test is not authorized to perform: dynamodb:GetItem on resource: ${tableArn(OTHER)} because no identity-based policy allows the dynamodb:GetItem action`,
    );
    // By ARN too, and inside a batch that also names its own table.
    expect(
      await outcome(
        production.send(
          new GetItemCommand({ TableName: tableArn(OTHER), Key: { pk: { S: "x" } } }),
        ),
      ),
    ).toMatch(/^AccessDeniedException: .* on resource: .*table\/notes-preview /);
    expect(
      await outcome(
        production.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [OWN]: [{ PutRequest: { Item: item("b") } }],
              [OTHER]: [{ PutRequest: { Item: item("b") } }],
            },
          }),
        ),
      ),
    ).toMatch(/^AccessDeniedException: .*dynamodb:BatchWriteItem on resource: .*notes-production /);
    // An action the policy does not list, on its own table; a call on no table is decided on "*".
    expect(
      await outcome(
        production.send(
          new QueryCommand({
            TableName: OWN,
            IndexName: "byText",
            KeyConditionExpression: "pk = :p",
            ExpressionAttributeValues: { ":p": { S: "a" } },
          }),
        ),
      ),
    ).toMatch(/on resource: .*notes-production\/index\/byText because no identity-based policy/);
    expect(await outcome(production.send(new ListTablesCommand({})))).toMatch(
      /dynamodb:ListTables on resource: \* because/,
    );
    // Nothing was written to the other table.
    const { Item } = await admin.dynamodb.send(
      new GetItemCommand({ TableName: OTHER, Key: { pk: { S: "b" } } }),
    );
    expect(Item).toBeUndefined();
    production.destroy();
  });

  it("a role with no grant at all is refused its environment's would-be table", async () => {
    const preview = await roleDynamodb("preview");
    expect(
      await outcome(preview.send(new GetItemCommand({ TableName: OWN, Key: { pk: { S: "a" } } }))),
    ).toMatch(/^AccessDeniedException: .*assumed-role\/.*VercelRolePreview.* dynamodb:GetItem/);
    preview.destroy();
  });

  it("a permissions boundary caps the role's own grant", async () => {
    const { Policy } = await admin.iam.send(
      new CreatePolicyCommand({
        PolicyName: "s3-only-boundary",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        }),
      }),
    );
    await admin.iam.send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: roleName("production"),
        PermissionsBoundary: Policy?.Arn,
      }),
    );
    try {
      const production = await roleDynamodb("production");
      expect(
        await outcome(
          production.send(new GetItemCommand({ TableName: OWN, Key: { pk: { S: "a" } } })),
        ),
      ).toMatch(/because no permissions boundary allows the dynamodb:GetItem action$/);
      production.destroy();
    } finally {
      await admin.iam.send(
        new DeleteRolePermissionsBoundaryCommand({ RoleName: roleName("production") }),
      );
    }
  });

  it("a transaction is decided per item, PartiQL by its statement, a call naming no table on *", async () => {
    const production = await roleDynamodb("production");
    expect(
      await outcome(
        production.send(
          new TransactWriteItemsCommand({
            TransactItems: [{ Put: { TableName: OWN, Item: item("t") } }],
          }),
        ),
      ),
    ).toBe("succeeded");
    expect(
      await outcome(
        production.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: OWN, Item: item("t2") } },
              { Delete: { TableName: OTHER, Key: { pk: { S: "seed" } } } },
            ],
          }),
        ),
      ),
    ).toMatch(/dynamodb:DeleteItem on resource: .*notes-preview because no identity-based policy/);
    expect(
      await outcome(
        production.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "${OTHER}"` })),
      ),
    ).toMatch(/dynamodb:PartiQLSelect on resource: .*notes-preview /);
    expect(
      await outcome(
        production.send(
          new TagResourceCommand({ ResourceArn: tableArn(OWN), Tags: [{ Key: "k", Value: "v" }] }),
        ),
      ),
    ).toMatch(/dynamodb:TagResource on resource: \* because/);
    production.destroy();
  });

  it("a forged signature or an expired key is refused before anything is decided", async () => {
    const credentials = await roleCredentials(sandbox, "production");
    const forged = new DynamoDBClient({
      region: sandbox.region,
      endpoint: sandbox.endpoint,
      maxAttempts: 1,
      credentials: { ...credentials, secretAccessKey: "not-the-secret" },
    });
    expect(
      await outcome(forged.send(new GetItemCommand({ TableName: OWN, Key: { pk: { S: "a" } } }))),
    ).toMatch(/^InvalidSignatureException: The request signature we calculated does not match/);
    forged.destroy();
  });

  it("the sandbox's own calls reach every table", async () => {
    const { TableNames } = await admin.dynamodb.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining([OWN, OTHER]));
  });
});

describe("dynamodbTargets: the action IAM checks on every table a call names", () => {
  it("single-table calls, batches, transactions per item, PartiQL by statement", () => {
    expect(dynamodbTargets("Query", { TableName: "t", IndexName: "i" })).toEqual([
      { action: "dynamodb:Query", table: "t", index: "i" },
    ]);
    expect(dynamodbTargets("BatchWriteItem", { RequestItems: { a: [], b: [] } })).toEqual([
      { action: "dynamodb:BatchWriteItem", table: "a" },
      { action: "dynamodb:BatchWriteItem", table: "b" },
    ]);
    expect(
      dynamodbTargets("TransactWriteItems", {
        TransactItems: [{ Put: { TableName: "a" } }, { ConditionCheck: { TableName: "b" } }],
      }),
    ).toEqual([
      { action: "dynamodb:PutItem", table: "a" },
      { action: "dynamodb:ConditionCheckItem", table: "b" },
    ]);
    expect(
      dynamodbTargets("BatchExecuteStatement", {
        Statements: [
          { Statement: 'SELECT * FROM "a" WHERE id = ?' },
          { Statement: "INSERT INTO b VALUE {'id': 'x'}" },
          { Statement: 'UPDATE "c" SET n = 1' },
          { Statement: 'DELETE FROM "d" WHERE id = ?' },
        ],
      }),
    ).toEqual([
      { action: "dynamodb:PartiQLSelect", table: "a" },
      { action: "dynamodb:PartiQLInsert", table: "b" },
      { action: "dynamodb:PartiQLUpdate", table: "c" },
      { action: "dynamodb:PartiQLDelete", table: "d" },
    ]);
    // Nothing the gateway reads a table from: decided against "*".
    expect(dynamodbTargets("TagResource", { ResourceArn: "arn:aws:dynamodb:x" })).toEqual([]);
  });
});
