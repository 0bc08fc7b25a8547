type Env = Record<string, string | undefined>;

export interface Header {
  key: string;
  value: string;
}

/**
 * Origins the browser PUTs uploads to. Presigned URLs point straight at S3 (or the emulator
 * behind AWS_ENDPOINT_URL), so connect-src must name exactly that origin and nothing wider.
 */
export function s3ConnectSources(env: Env): string[] {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint) {
    const url = safeUrl(endpoint);
    if (!url) return [];
    // Emulators on a hostname may be addressed virtual-hosted style (bucket.host).
    const isIp = /^[\d.]+$|^\[/.test(url.hostname);
    return isIp || url.hostname === "localhost"
      ? [url.origin]
      : [url.origin, `${url.protocol}//*.${url.host}`];
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region || !/^[a-z0-9-]+$/.test(region)) return [];
  const bucket = env.S3_BUCKET;
  // The SDK uses virtual-hosted URLs unless the bucket name contains dots.
  if (bucket && /^[a-z0-9-]+$/.test(bucket))
    return [`https://${bucket}.s3.${region}.amazonaws.com`];
  return [`https://*.s3.${region}.amazonaws.com`, `https://s3.${region}.amazonaws.com`];
}

export interface CspOptions {
  /** `next dev` needs eval (React's debug stacks) and inline styles (hot reloading). */
  development: boolean;
  /** Only where every origin is HTTPS (Vercel); locally it would break http://localhost. */
  upgradeInsecureRequests: boolean;
  connectSources: string[];
}

export function contentSecurityPolicy(options: CspOptions): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    // App Router streams its payload in inline <script> tags that differ per request, so neither
    // hashes nor a build-time allow-list can cover them; nonces need a proxy on every request.
    "script-src": ["'self'", "'unsafe-inline'", ...(options.development ? ["'unsafe-eval'"] : [])],
    "style-src": ["'self'", ...(options.development ? ["'unsafe-inline'"] : [])],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", ...options.connectSources],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  const parts = Object.entries(directives).map(([name, values]) => `${name} ${values.join(" ")}`);
  if (options.upgradeInsecureRequests) parts.push("upgrade-insecure-requests");
  return parts.join("; ");
}

export function securityHeaders(env: Env): Header[] {
  const csp = contentSecurityPolicy({
    development: env.NODE_ENV === "development",
    upgradeInsecureRequests: env.VERCEL === "1",
    connectSources: s3ConnectSources(env),
  });
  return [
    { key: "Content-Security-Policy", value: csp },
    { key: "X-Content-Type-Options", value: "nosniff" },
    // Presigned URLs carry credentials in the query string: never leak page URLs onward.
    { key: "Referrer-Policy", value: "no-referrer" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    {
      key: "Permissions-Policy",
      value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
    },
  ];
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
