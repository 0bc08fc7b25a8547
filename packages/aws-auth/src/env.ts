import { z } from "zod";
import { checkRegion } from "./regions";
import { parseRoleArn } from "./role-arn";

// Zod schemas for the variables this package reads, to compose into an app's env validation
// (`createEnv({ server: { ...awsAuthServerSchema, … } })` with @t3-oss/env-nextjs). Each message
// names the variable and the fix. All are optional: which ones are needed depends on the mode,
// and `diagnose()` reports that.
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

export const awsAuthServerSchema = {
  AWS_REGION: optionalText.refine((v) => v === undefined || checkRegion(v) !== "malformed", {
    message:
      "AWS_REGION must be a region code such as us-east-1 (not an availability zone or a display name).",
  }),
  AWS_ROLE_ARN: optionalText.superRefine((v, ctx) => {
    if (v === undefined) return;
    const parsed = parseRoleArn(v);
    if (!parsed.ok) {
      ctx.addIssue({
        code: "custom",
        message: `AWS_ROLE_ARN is not a role ARN: ${parsed.problem}. Copy it from the stack outputs (arn:aws:iam::<account-id>:role/<name>).`,
      });
    }
  }),
  AWS_PROFILE: optionalText,
  AWS_WEB_IDENTITY_TOKEN_FILE: optionalText,
  AWS_ENDPOINT_URL: optionalText.refine((v) => v === undefined || URL.canParse(v), {
    message: "AWS_ENDPOINT_URL must be a URL such as http://127.0.0.1:4566 (or unset to use AWS).",
  }),
} as const;
