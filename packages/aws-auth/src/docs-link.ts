// Where each explained error is documented: an anchor per code in this package's README. The URL
// names the repository the package lives in (`pnpm repository:set` rewrites it with the rest of the
// template's coordinates) on its main branch; `pnpm copy:aws-auth` pins it to the commit the copy
// was made from, so a copy's links keep pointing at the docs of its own version.
export const README_URL =
  "https://github.com/your-org/keyless/blob/main/packages/aws-auth/README.md";

/** The README section for an error code (GitHub's anchor of its "#### `code`" heading). */
export const docsLink = (code: string): string => `${README_URL}#${code}`;
