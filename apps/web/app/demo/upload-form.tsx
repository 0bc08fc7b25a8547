"use client";

// The only client code on the page. It talks to /api/upload and to the presigned URL with fetch:
// no AWS SDK reaches the browser.
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import {
  ALLOWED_CONTENT_TYPES,
  formatBytes,
  isAllowedContentType,
  MAX_UPLOAD_BYTES,
} from "../../lib/demo/upload-policy";
import styles from "./upload-form.module.css";

type Status =
  | { kind: "idle" }
  | { kind: "busy"; message: string }
  | { kind: "done"; message: string }
  | { kind: "error"; title: string; cause?: string; fixes?: string[] };

interface Problem {
  title: string;
  cause?: string;
  fixes?: string[];
}

interface UploadTicket {
  url: string;
  key: string;
  headers: Record<string, string>;
}

async function problemFrom(response: Response, fallback: string): Promise<Problem> {
  try {
    const body = (await response.json()) as { error?: Problem };
    if (body.error?.title) return body.error;
  } catch {
    // Not our JSON (a proxy page, S3's XML): fall through to the status line.
  }
  return {
    title: fallback,
    cause: `The server answered ${response.status} ${response.statusText}.`,
  };
}

export function UploadForm() {
  const router = useRouter();
  const [status, setStatus] = useState<Status>({ kind: "idle" });

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const file = new FormData(form).get("file");
    if (!(file instanceof File) || file.size === 0) {
      setStatus({ kind: "error", title: "Choose a non-empty file first." });
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      setStatus({
        kind: "error",
        title: `${file.name} is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}.`,
      });
      return;
    }
    if (!isAllowedContentType(file.type)) {
      setStatus({
        kind: "error",
        title: `${file.name} has type "${file.type || "unknown"}", which this bucket does not take.`,
        fixes: [`Upload one of: ${ALLOWED_CONTENT_TYPES.join(", ")}.`],
      });
      return;
    }

    setStatus({ kind: "busy", message: `Asking the server to sign an upload for ${file.name}…` });
    try {
      const signed = await fetch("/api/upload", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ filename: file.name, contentType: file.type, size: file.size }),
      });
      if (!signed.ok) {
        setStatus({ kind: "error", ...(await problemFrom(signed, "The upload was not signed.")) });
        return;
      }
      const ticket = (await signed.json()) as UploadTicket;
      setStatus({ kind: "busy", message: `Uploading ${file.name} straight to S3…` });
      const put = await fetch(ticket.url, { method: "PUT", headers: ticket.headers, body: file });
      if (!put.ok) {
        setStatus({
          kind: "error",
          title: "S3 refused the upload.",
          cause: `S3 answered ${put.status}. The signed URL may have expired or the file changed.`,
          fixes: ["Try again."],
        });
        return;
      }
      form.reset();
      setStatus({ kind: "done", message: `Uploaded ${ticket.key}.` });
      router.refresh();
    } catch {
      setStatus({
        kind: "error",
        title: "The upload did not reach the server or S3.",
        cause: "A network error, or the bucket's CORS rules do not allow this site to PUT.",
        fixes: ["Check the connection and the bucket's CORS configuration, then try again."],
      });
    }
  }

  const busy = status.kind === "busy";
  return (
    <form className={styles.form} onSubmit={upload} aria-describedby="upload-hint">
      <div className={styles.field}>
        <label htmlFor="upload-file" className={styles.label}>
          File to upload
        </label>
        <input
          id="upload-file"
          name="file"
          type="file"
          required
          accept={ALLOWED_CONTENT_TYPES.join(",")}
          className={styles.input}
          disabled={busy}
        />
        <p id="upload-hint" className={styles.hint}>
          Up to {formatBytes(MAX_UPLOAD_BYTES)}: text, CSV, JSON, PDF or an image. The browser sends
          it straight to S3 with a URL the server signed.
        </p>
      </div>
      <button type="submit" className={styles.button} disabled={busy}>
        {busy ? "Uploading…" : "Upload"}
      </button>
      <div className={styles.status} role="status" aria-live="polite">
        {status.kind === "busy" || status.kind === "done" ? (
          <p className={status.kind === "done" ? styles.done : undefined}>{status.message}</p>
        ) : null}
      </div>
      {status.kind === "error" ? (
        <div className={styles.error} role="alert">
          <p className={styles.errorTitle}>{status.title}</p>
          {status.cause ? <p>{status.cause}</p> : null}
          {status.fixes?.length ? (
            <ul>
              {status.fixes.map((fix) => (
                <li key={fix}>{fix}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}
