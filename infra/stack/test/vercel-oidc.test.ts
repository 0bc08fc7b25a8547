// The constructs' props: VercelOidcRole passes iam.RoleProps through, the trust stays its own.

import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { describe, expect, it } from "vitest";
import { VercelOidcProvider, VercelOidcRole } from "../src/vercel-oidc";

describe("VercelOidcRole props", () => {
  it("passes iam.RoleProps through: permissions boundary, path, name, session length", () => {
    const stack = new Stack(new App(), "S", { env: { region: "us-east-1" } });
    const provider = new VercelOidcProvider(stack, "P", { teamSlug: "acme" });
    const boundary = new iam.ManagedPolicy(stack, "Boundary", {
      statements: [new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: ["*"] })],
    });
    new VercelOidcRole(stack, "R", {
      provider,
      projectName: "web",
      environment: "preview",
      permissionsBoundary: boundary,
      path: "/vercel/",
      roleName: "web-preview",
      maxSessionDuration: undefined,
    });
    const template = Template.fromStack(stack);
    const roles = Object.values(template.findResources("AWS::IAM::Role"));
    expect(roles).toHaveLength(1);
    const properties = roles[0]?.Properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      Path: "/vercel/",
      RoleName: "web-preview",
      MaxSessionDuration: 3600,
      PermissionsBoundary: { Ref: expect.stringMatching(/^Boundary/) },
    });
    expect(JSON.stringify(properties.AssumeRolePolicyDocument)).toContain(
      "owner:acme:project:web:environment:preview",
    );
  });

  it("keeps its one-hour default and Vercel description unless the caller sets them", () => {
    const stack = new Stack(new App(), "S", { env: { region: "us-east-1" } });
    const provider = new VercelOidcProvider(stack, "P", { teamSlug: "acme" });
    new VercelOidcRole(stack, "R", { provider, projectName: "web", environment: "production" });
    new VercelOidcRole(stack, "Custom", {
      provider,
      projectName: "web",
      environment: "preview",
      description: "mine",
    });
    const roles = Object.values(Template.fromStack(stack).findResources("AWS::IAM::Role")).map(
      (role) => role.Properties as { Description: string; MaxSessionDuration: number },
    );
    expect(roles.map((role) => role.Description)).toEqual([
      "Vercel project acme/web, production deployments only",
      "mine",
    ]);
    expect(roles.every((role) => role.MaxSessionDuration === 3600)).toBe(true);
  });
});
