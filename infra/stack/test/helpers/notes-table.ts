// An app resource as a user declares one (the DynamoDB table of docs/add-a-resource.md), for the
// stack's tests: they pass it to the stack instead of editing src/app-resources.ts.

import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import type { AppResource } from "../../src/app-resources";

export const NOTES_TABLE: AppResource = {
  id: "NotesTable",
  variable: "NOTES_TABLE",
  create: (scope, id) => {
    const table = new Table(scope, id, {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    return { arns: [table.tableArn] };
  },
  actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
  arnFormat: "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
  deployActions: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable"],
};
