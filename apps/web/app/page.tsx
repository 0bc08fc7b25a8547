import { connection } from "next/server";
import { loadDashboard } from "../lib/dashboard";
import { continuationTokenFrom } from "../lib/demo/objects"; // demo
import { serverEnv } from "../lib/env";
import { DemoSection } from "./demo/bucket-section"; // demo
import styles from "./page.module.css";
import {
  CredentialsSection,
  ErrorPanel,
  FindingsSection,
  IdentitySection,
  SandboxSection,
  SetupSection,
} from "./sections";

export const runtime = "nodejs";

interface HomeProps {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function Home({ searchParams }: HomeProps) {
  // Live credentials and a live bucket: render per request, never at build time.
  await connection();
  // A malformed variable is the explained error page, before anything else.
  serverEnv();
  const data = await loadDashboard();
  const after = continuationTokenFrom((await searchParams).after); // demo

  return (
    <>
      <header className={styles.header}>
        <div className={styles.headerInner}>
          <p className={styles.brand}>
            <span aria-hidden="true" className={styles.logo}>
              ◆
            </span>
            Keyless
          </p>
          <nav aria-label="Tools">
            <a className={styles.headerLink} href="/api/health">
              Health JSON
            </a>
          </nav>
        </div>
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        <div className={styles.intro}>
          <h1 className={styles.title}>How this app reaches AWS</h1>
          <p className={styles.lead}>
            Short-lived credentials only: Vercel OIDC in deployments, a named profile or the local
            sandbox on your machine. Nothing here is a stored key.
          </p>
        </div>
        {data.error ? (
          <ErrorPanel heading="AWS did not accept these credentials" error={data.error} />
        ) : null}
        <div className={styles.grid}>
          <CredentialsSection credentials={data.credentials} production={data.production} />
          {data.identity ? <IdentitySection identity={data.identity} /> : null}
        </div>
        {data.sandbox ? <SandboxSection environment={data.sandbox} /> : null}
        {data.findings.length > 0 ? <FindingsSection findings={data.findings} /> : null}
        {data.setup ? (
          <SetupSection steps={data.setup} onVercel={data.credentials.onVercel} />
        ) : null}
        {data.connected ? <DemoSection after={after} /> : null /* demo */}
      </main>
      <footer className={styles.footer}>
        <p>
          Credentials come from <code>@repo/aws-auth</code>: one provider and one STS exchange per
          process, refreshed before they expire.
        </p>
      </footer>
    </>
  );
}
