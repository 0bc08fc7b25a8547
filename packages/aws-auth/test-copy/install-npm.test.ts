// `pnpm copy:aws-auth <dir>` writes a folder that npm installs as it is, and whose own typecheck
// and tests pass. Installs prefer the local store/cache the workspace install filled.

import { testCopyInstalledWith } from "./helpers/copy";

testCopyInstalledWith("npm");
