// What an anonymous visitor of a production deployment can reach, as plain HTTP against a base
// URL — `next start` with VERCEL_ENV=production here, and the same function against the Vercel
// path (`pnpm vercel:local`) once it exists.

export interface VisitorProbe {
  name: string;
  ok: boolean;
  detail: string;
}

const ACCOUNT_ID = /(?<!\d)\d{12}(?!\d)/;

/**
 * Reads `/`, tries a download outside uploads/ and an upload, and reports each as a probe.
 * `outsideKey` is an object that exists in the bucket outside uploads/.
 */
export async function probeAsAnonymousVisitor(
  baseUrl: string,
  outsideKey: string,
): Promise<VisitorProbe[]> {
  const probes: VisitorProbe[] = [];
  const page = await (await fetch(baseUrl)).text();
  const accountId = ACCOUNT_ID.exec(page)?.[0];
  probes.push({
    name: "no account id on /",
    ok: accountId === undefined,
    detail: accountId ? `found ${accountId}` : "none",
  });
  probes.push({
    name: "no ARN on /",
    ok: !page.includes("arn:aws:"),
    detail: page.includes("arn:aws:") ? "found arn:aws:" : "none",
  });
  const download = await fetch(`${baseUrl}/api/download?key=${encodeURIComponent(outsideKey)}`, {
    redirect: "manual",
  });
  probes.push({
    name: "download outside uploads/ refused",
    ok: download.status >= 400 && download.status < 500,
    detail: `HTTP ${download.status}`,
  });
  const upload = await fetch(`${baseUrl}/api/upload`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filename: "x.txt", contentType: "text/plain", size: 1 }),
  });
  probes.push({
    // 403 while the demo is off; 404 once it is removed.
    name: "upload refused",
    ok: upload.status >= 400 && upload.status < 500,
    detail: `HTTP ${upload.status}`,
  });
  const health = await (await fetch(`${baseUrl}/api/health`)).text();
  probes.push({
    name: "no account id or ARN in /api/health",
    ok: !ACCOUNT_ID.test(health) && !health.includes("arn:aws:"),
    detail: health,
  });
  return probes;
}
