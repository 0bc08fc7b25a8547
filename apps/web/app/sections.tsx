import type { Finding } from "@repo/aws-auth/mode";
import type { ReactNode } from "react";
import type { DashboardData, SetupStep } from "../lib/dashboard";
import type { CallerIdentity } from "../lib/identity";
import type { PublicError } from "../lib/public-error";
import { notConfiguredTitle } from "../lib/setup-steps";
import { InlineCode } from "./inline-code";
import styles from "./page.module.css";

const MODE_LABELS: Record<string, { label: string; summary: string }> = {
  "vercel-oidc": {
    label: "Vercel OIDC",
    summary: "Vercel's OIDC token is exchanged for a role session with AssumeRoleWithWebIdentity.",
  },
  "web-identity-file": {
    label: "Web identity token file",
    summary:
      "A token read from a file is exchanged for a role session (the sandbox, Kubernetes, CI).",
  },
  profile: {
    label: "AWS profile",
    summary: "A named profile from ~/.aws/config supplies the credentials (SSO, assume-role, …).",
  },
  none: {
    label: "Not configured",
    summary: "No AWS configuration was found, so nothing is called.",
  },
};

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className={styles.row}>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function CredentialsSection({
  credentials,
  production,
}: {
  credentials: DashboardData["credentials"];
  production: boolean;
}) {
  const mode = MODE_LABELS[credentials.mode] ?? { label: credentials.mode, summary: "" };
  return (
    <section className={styles.card} aria-labelledby="credentials-heading">
      <h2 id="credentials-heading" className={styles.cardTitle}>
        Credentials
      </h2>
      <p className={styles.modeLine}>
        <span className={styles.mode} data-mode={credentials.mode}>
          {mode.label}
        </span>
        <code className={styles.modeCode}>mode: {credentials.mode}</code>
      </p>
      <p className={styles.muted}>{mode.summary}</p>
      {production ? (
        <p className={styles.muted}>
          This is a production deployment: it shows nothing about the AWS account. The details are
          in the function log and in <code>pnpm verify</code>.
        </p>
      ) : (
        <CredentialFacts credentials={credentials} />
      )}
    </section>
  );
}

function CredentialFacts({ credentials }: { credentials: DashboardData["credentials"] }) {
  return (
    <>
      <h3 className={styles.subTitle}>Why this mode</h3>
      <ul className={styles.because}>
        {credentials.because.map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
      <dl className={styles.facts}>
        <Row term="Region">{credentials.region ?? <em>not set</em>}</Row>
        {credentials.roleArn ? (
          <Row term="Role">
            <code className={styles.wrap}>{credentials.roleArn}</code>
          </Row>
        ) : null}
        {credentials.profile ? (
          <Row term="Profile">
            <code>{credentials.profile}</code>
          </Row>
        ) : null}
        {credentials.mode === "none" ? null : (
          <Row term="Session name">
            <code className={styles.wrap}>{credentials.sessionName}</code>
          </Row>
        )}
        {credentials.endpoint ? (
          <Row term="Endpoint">
            <code className={styles.wrap}>{credentials.endpoint}</code>
          </Row>
        ) : null}
        {credentials.vercelEnv ? (
          <Row term="Vercel environment">{credentials.vercelEnv}</Row>
        ) : null}
      </dl>
    </>
  );
}

export function IdentitySection({ identity }: { identity: CallerIdentity }) {
  return (
    <section className={styles.card} aria-labelledby="identity-heading">
      <h2 id="identity-heading" className={styles.cardTitle}>
        Assumed identity
      </h2>
      <p className={styles.muted}>
        What STS <code>GetCallerIdentity</code> answers for these credentials.
      </p>
      <dl className={styles.facts}>
        <Row term="Account">
          <code>{identity.account}</code>
        </Row>
        {identity.roleArn ? (
          <Row term="Role">
            <code className={styles.wrap}>{identity.roleArn}</code>
          </Row>
        ) : null}
        {identity.sessionName ? (
          <Row term="Session">
            <code className={styles.wrap}>{identity.sessionName}</code>
          </Row>
        ) : null}
        {identity.principalName ? (
          <Row term="Principal">
            <code>{identity.principalName}</code>
          </Row>
        ) : null}
        <Row term="Caller ARN">
          <code className={styles.wrap}>{identity.arn}</code>
        </Row>
      </dl>
    </section>
  );
}

const SEVERITY_LABELS: Record<Finding["severity"], string> = {
  error: "Error",
  warning: "Warning",
  info: "Note",
};

export function FindingsSection({ findings }: { findings: Finding[] }) {
  return (
    <section className={styles.card} aria-labelledby="findings-heading">
      <h2 id="findings-heading" className={styles.cardTitle}>
        Findings
      </h2>
      <ul className={styles.findings}>
        {findings.map((finding) => (
          <li key={finding.code} className={styles.finding} data-severity={finding.severity}>
            <span className={styles.severity}>{SEVERITY_LABELS[finding.severity]}</span>
            <div>
              <p className={styles.findingMessage}>
                <InlineCode text={finding.message} />
              </p>
              <p className={styles.findingFix}>
                <strong>Fix:</strong> <InlineCode text={finding.fix} />
              </p>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ErrorPanel({ heading, error }: { heading: string; error: PublicError }) {
  return (
    <section className={styles.errorPanel} aria-labelledby={`${error.code}-heading`}>
      <p className={styles.errorKicker}>{heading}</p>
      <h2 id={`${error.code}-heading`} className={styles.errorTitle}>
        {error.title}
      </h2>
      <p>
        <InlineCode text={error.cause} />
      </p>
      {error.fixes.length > 0 ? (
        <>
          <h3 className={styles.subTitle}>How to fix it</h3>
          <ol className={styles.fixes}>
            {error.fixes.map((fix) => (
              <li key={fix}>
                <InlineCode text={fix} />
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <details className={styles.details}>
        <summary>Technical details</summary>
        <dl className={styles.facts}>
          <Row term="Code">
            {error.docs ? (
              <a href={error.docs}>
                <code>{error.code}</code>
              </a>
            ) : (
              <code>{error.code}</code>
            )}
          </Row>
          {error.awsCode ? (
            <Row term="AWS error">
              <code>{error.awsCode}</code>
            </Row>
          ) : null}
          {error.detail ? <Row term="Message">{error.detail}</Row> : null}
          {error.expected?.sub ? (
            <Row term="Trusted sub">
              <code className={styles.wrap}>{error.expected.sub}</code>
            </Row>
          ) : null}
          {error.token?.sub ? (
            <Row term="Token sub">
              <code className={styles.wrap}>{error.token.sub}</code>
            </Row>
          ) : null}
          {error.expected?.aud ? (
            <Row term="Trusted aud">
              <code className={styles.wrap}>{error.expected.aud}</code>
            </Row>
          ) : null}
          {error.token?.aud ? (
            <Row term="Token aud">
              <code className={styles.wrap}>{[error.token.aud].flat().join(", ")}</code>
            </Row>
          ) : null}
        </dl>
      </details>
    </section>
  );
}

export function SetupSection({ steps, onVercel }: { steps: SetupStep[]; onVercel: boolean }) {
  return (
    <section className={styles.card} aria-labelledby="setup-heading">
      <h2 id="setup-heading" className={styles.cardTitle}>
        {onVercel ? notConfiguredTitle(true) : "Connect AWS — pick one"}
      </h2>
      {onVercel ? (
        <p className={styles.muted}>
          For the project&apos;s owner: five steps from a clone of your repository.
        </p>
      ) : null}
      <ol className={styles.steps}>
        {steps.map((step) => (
          <li key={step.title} className={styles.step}>
            <h3 className={styles.stepTitle}>{step.title}</h3>
            <p className={styles.muted}>{step.text}</p>
            <pre className={styles.code}>
              <code>{step.commands.join("\n")}</code>
            </pre>
          </li>
        ))}
      </ol>
      <p className={styles.muted}>
        {onVercel ? (
          <>
            Variables reach a deployment when it is built: reloading this page does not pick them
            up, a redeploy does.
          </>
        ) : (
          <>
            <code>pnpm exec aws-auth doctor</code> (from the repository root) shows which mode the
            app would pick and why.
          </>
        )}
      </p>
    </section>
  );
}

export function SandboxSection({ environment }: { environment: string }) {
  return (
    <section className={styles.card} aria-labelledby="sandbox-heading">
      <h2 id="sandbox-heading" className={styles.cardTitle}>
        Local sandbox
      </h2>
      <p>
        Nothing here reaches AWS. moto emulates AWS on this machine, in a sample account, with the
        same stack your account would get; a local issuer signs Vercel-shaped tokens, and the
        sandbox checks them and the trust policy the way STS does.
      </p>
      <p className={styles.muted}>
        The app runs as your <code>{environment}</code> deployment would: that environment&apos;s
        role and its <code>{environment}/</code> folder of the bucket
        {environment === "production"
          ? " (the sandbox runs as production whenever the stack trusts it)"
          : ""}
        . <code>pnpm sandbox token --environment preview</code> prints a token this role refuses.
      </p>
      <p className={styles.muted}>
        Next: <code>pnpm configure</code> names your Vercel project and AWS region; then deploy the
        stack to your account (<code>pnpm infra:deploy</code>) and give the project its outputs (
        <code>pnpm vercel:env --apply</code>).
      </p>
    </section>
  );
}
