// The bucket demo's part of the page: the objects of this environment's prefix, upload through a
// presigned PUT, download through a presigned GET. Replaceable: docs/make-it-yours.md says what to
// delete (this folder, lib/demo/, the two routes and the line in app/page.tsx).

import { type BucketDemo, loadBucketDemo } from "../../lib/demo/bucket";
import { formatBytes } from "../../lib/demo/upload-policy";
import { serverEnv } from "../../lib/env";
import styles from "../page.module.css";
import { ErrorPanel } from "../sections";
import { UploadForm } from "./upload-form";

/** The demo's section, loaded on its own: the page passes only the bucket page to show. */
export async function DemoSection({ after }: { after?: string }) {
  const data = await loadBucketDemo({ after, bucket: serverEnv().S3_BUCKET });
  return data.access === "off" ? <DemoOffSection /> : <BucketSection data={data} />;
}

function formatTime(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";
}

export function DemoOffSection() {
  return (
    <section className={styles.card} aria-labelledby="demo-heading">
      <h2 id="demo-heading" className={styles.cardTitle}>
        Bucket demo
      </h2>
      <p>
        This production deployment reaches AWS, and shows no bucket data: listing, upload and
        download are off. The owner can turn them on with <code>KEYLESS_PUBLIC_DEMO=on</code> (every
        visitor may then upload files and download what was uploaded).
      </p>
    </section>
  );
}

export function BucketSection({ data }: { data: BucketDemo }) {
  const { bucket, objects, bucketError } = data;
  return (
    <section className={styles.card} aria-labelledby="bucket-heading">
      <div className={styles.cardHeader}>
        <h2 id="bucket-heading" className={styles.cardTitle}>
          Bucket {bucket ? <code className={styles.bucketName}>{bucket}</code> : null}
        </h2>
      </div>
      {!bucket && !data.production ? (
        <p>
          Set <code>S3_BUCKET</code> to the bucket name from the stack outputs to list and upload
          objects.
        </p>
      ) : null}
      {bucketError ? <ErrorPanel heading="Could not list the bucket" error={bucketError} /> : null}
      {bucket || (data.production && objects) ? <UploadForm /> : null}
      {objects ? (
        <>
          <div className={styles.tableWrap}>
            <table className={styles.table}>
              <caption className="visually-hidden">Objects in {bucket ?? "the bucket"}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col" className={styles.num}>
                    Size
                  </th>
                  <th scope="col">Last modified</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {objects.objects.length === 0 ? (
                  <tr>
                    <td colSpan={4} className={styles.empty}>
                      {objects.after
                        ? "No more objects."
                        : "The bucket is empty. Upload a file above."}
                    </td>
                  </tr>
                ) : (
                  objects.objects.map((object) => (
                    <tr key={object.key}>
                      <td>
                        <code className={styles.wrap}>{object.key}</code>
                      </td>
                      <td className={styles.num}>{formatBytes(object.size)}</td>
                      <td>
                        <time dateTime={object.lastModified}>
                          {formatTime(object.lastModified)}
                        </time>
                      </td>
                      <td className={styles.actions}>
                        <a
                          className={styles.download}
                          href={`/api/download?key=${encodeURIComponent(object.key)}`}
                          aria-label={`Download ${object.key}`}
                        >
                          Download
                        </a>
                      </td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          {objects.after || objects.next ? (
            <nav className={styles.pager} aria-label="Bucket pages">
              {objects.after ? (
                <a href="/" className={styles.pagerLink}>
                  ← First page
                </a>
              ) : (
                <span />
              )}
              {objects.next ? (
                <a
                  href={`/?after=${encodeURIComponent(objects.next)}`}
                  className={styles.pagerLink}
                >
                  Next page →
                </a>
              ) : null}
            </nav>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
