// Types for copy.mjs (plain JavaScript, so it runs with nothing installed) where tests import it.
export function workspaceCatalog(from?: string): Record<string, string>;
export function plainPackageJson(
  pkg: Record<string, unknown>,
  catalog: Record<string, string>,
): Record<string, unknown>;
export function writeCopy(dir: string): void;
export function writeTarball(file: string): void;
export function pinDocsLink(dir: string, commit?: string): void;
