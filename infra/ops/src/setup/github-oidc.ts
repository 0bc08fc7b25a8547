// pnpm github:oidc [--apply] [--immutable] [--env-path PATH] [--sandbox]
// Sets the repository's GitHub Actions OIDC `sub` to the form the deploy role trusts
// (KEYLESS_GITHUB_SUBJECT): `workflow` customizes it to name the workflow file and the ref it ran
// from (include_claim_keys repo, context, job_workflow_ref), so only deploy.yml on the deploy
// branch matches; `default` puts GitHub's own back. Through GitHub's REST API
// (GET/PUT /repos/{owner}/{repo}/actions/oidc/customization/sub) with GITHUB_TOKEN; GITHUB_API_URL
// points it elsewhere (GitHub Enterprise, the sandbox's stand-in). Dry run unless --apply.

import { CommandFailure, parseCommandArgs, UsageError } from "@repo/infra/cli";
import { type GithubDeployConfig, loadInfraConfig } from "@repo/infra/config";
import {
  GITHUB_SUB_CLAIM_KEYS,
  githubRepositoryPath,
  githubSubject,
} from "@repo/infra/github-naming";
import { sandboxEnv } from "../sandbox-target";
import {
  ENV_FILE_OPTION,
  type Environment,
  envFilePath,
  layeredEnvironment,
  type Output,
  printer,
  reportingFailures,
  requestJson,
} from "./io";

export const GITHUB_OIDC_USAGE = `usage: pnpm github:oidc [--apply] [--immutable] [--env-path PATH] [--sandbox]

Makes the sub in the GitHub Actions OIDC tokens of KEYLESS_GITHUB_REPOSITORY the one the deploy role
trusts. KEYLESS_GITHUB_SUBJECT=workflow (the default) customizes it to name the workflow file and the
ref it ran from (include_claim_keys: ${GITHUB_SUB_CLAIM_KEYS.join(", ")}): only
.github/workflows/deploy.yml on KEYLESS_GITHUB_DEPLOY_BRANCH then matches — not another workflow on
that branch, not a workflow_run job, not deploy.yml on another branch naming the environment.
KEYLESS_GITHUB_SUBJECT=default puts GitHub's own sub back. The setting is repository-wide: every OIDC
consumer of the repository sees the new sub. --immutable also opts a repository created before
2026-07-15 in to GitHub's id-based subjects (repo:owner@id/repo@id; set KEYLESS_GITHUB_REPOSITORY to
the prefix this command then prints). Prints the plan and changes nothing without --apply.

Needs GITHUB_TOKEN (a token that may administer the repository: classic with the repo scope) in
the environment or .env; without it the dry run shows what --apply would send. GITHUB_API_URL sends
the calls elsewhere (default https://api.github.com). --sandbox runs it against the running local
sandbox's stand-in of GitHub's API (no token needed).`;

export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

/** A repository's customization, as GET …/actions/oidc/customization/sub answers. */
export interface SubjectCustomization {
  useDefault: boolean;
  includeClaimKeys: string[];
  useImmutableSubject: boolean;
  /** The repository segment GitHub writes, e.g. `repo:acme/keyless` or `repo:acme@1/keyless@2`. */
  subClaimPrefix?: string;
}

/** What PUT …/actions/oidc/customization/sub takes. */
export interface SubjectCustomizationBody {
  use_default: boolean;
  include_claim_keys?: string[];
  use_immutable_subject?: boolean;
}

export class GithubApiError extends CommandFailure {
  override readonly name = "GithubApiError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** GitHub's REST API for one repository's OIDC subject customization. */
export class GithubOidcApi {
  readonly #token: string;
  readonly #baseUrl: string;
  readonly #path: string;

  constructor(options: { token: string; repository: string; baseUrl?: string }) {
    this.#token = options.token.trim();
    this.#baseUrl = (options.baseUrl || DEFAULT_GITHUB_API_URL).replace(/\/+$/, "");
    let parsed: URL | undefined;
    try {
      parsed = new URL(this.#baseUrl);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) {
      throw new UsageError(
        `GITHUB_API_URL "${parsed ? `${parsed.protocol}//${parsed.host}` : "(not a URL)"}" is not an http(s) URL without credentials: leave it unset for github.com, or give your GitHub Enterprise API's address (https://HOST/api/v3).`,
      );
    }
    this.#path = `/repos/${githubRepositoryPath(options.repository)}/actions/oidc/customization/sub`;
  }

  get endpoint(): string {
    return `${this.#baseUrl}${this.#path}`;
  }

  async read(): Promise<SubjectCustomization> {
    const body = (await this.#call("GET")) as Record<string, unknown>;
    return {
      useDefault: body.use_default === true,
      includeClaimKeys: Array.isArray(body.include_claim_keys)
        ? body.include_claim_keys.map(String)
        : [],
      useImmutableSubject: body.use_immutable_subject === true,
      subClaimPrefix: typeof body.sub_claim_prefix === "string" ? body.sub_claim_prefix : undefined,
    };
  }

  async write(body: SubjectCustomizationBody): Promise<void> {
    await this.#call("PUT", body);
  }

  async #call(method: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${this.#path}`;
    const { response, body: parsed } = await requestJson(
      this.endpoint,
      {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          Accept: "application/vnd.github+json",
          "X-GitHub-Api-Version": "2022-11-28",
        },
        body,
      },
      (cause) =>
        new GithubApiError(
          `Could not reach GitHub's API at ${new URL(this.endpoint).origin} (${what}): ${cause.replaceAll(this.#token, "***")}`,
        ),
    );
    if (response.ok) return parsed ?? {};
    const message = (parsed as { message?: unknown } | undefined)?.message;
    const detail = typeof message === "string" ? message.split("\n")[0] : `HTTP ${response.status}`;
    const hint =
      response.status === 401
        ? "GITHUB_TOKEN was refused: create one that may administer the repository (classic: the repo scope) and export it."
        : response.status === 403
          ? "GITHUB_TOKEN may not change this repository's settings (it needs administration: classic tokens the repo scope), or GitHub's rate limit was reached."
          : response.status === 404
            ? "The repository was not found with this token: check KEYLESS_GITHUB_REPOSITORY, and that GITHUB_TOKEN may administer it (GitHub answers 404 to a token that cannot see a private repository)."
            : "GitHub refused the request.";
    throw new GithubApiError(`${what}: ${response.status} ${detail}. ${hint}`, response.status);
  }
}

/** What the repository's customization should be for the deploy role's form. */
export function desiredCustomization(
  github: Pick<GithubDeployConfig, "subjectForm">,
  immutable: boolean,
): SubjectCustomizationBody {
  const body: SubjectCustomizationBody =
    github.subjectForm === "workflow"
      ? { use_default: false, include_claim_keys: [...GITHUB_SUB_CLAIM_KEYS] }
      : { use_default: true };
  return immutable ? { ...body, use_immutable_subject: true } : body;
}

/** Whether `current` already gives the `sub` `desired` asks for. */
export function customizationMatches(
  current: SubjectCustomization,
  desired: SubjectCustomizationBody,
): boolean {
  if (desired.use_immutable_subject && !current.useImmutableSubject) return false;
  if (desired.use_default) return current.useDefault;
  return (
    !current.useDefault &&
    JSON.stringify(current.includeClaimKeys) === JSON.stringify(desired.include_claim_keys)
  );
}

/**
 * Why the repository segment GitHub writes differs from KEYLESS_GITHUB_REPOSITORY (the role would
 * refuse every token), or undefined when they agree or GitHub did not say.
 */
export function prefixProblem(
  current: SubjectCustomization,
  github: Pick<GithubDeployConfig, "repository">,
): string | undefined {
  if (!current.subClaimPrefix) return undefined;
  const expected = `repo:${github.repository}`;
  if (current.subClaimPrefix === expected) return undefined;
  const spelled = current.subClaimPrefix.replace(/^repo:/, "");
  return `GitHub writes ${current.subClaimPrefix} for this repository, but the deploy role trusts ${expected}: set KEYLESS_GITHUB_REPOSITORY=${spelled} and deploy the stack again (an administrator's \`pnpm infra:deploy\`).`;
}

const describe = (customization: SubjectCustomization) =>
  customization.useDefault
    ? "GitHub's default sub (names the branch or the environment only)"
    : `customized: include_claim_keys ${customization.includeClaimKeys.join(", ") || "(none)"}`;

export interface GithubOidcOptions extends Output {
  argv: readonly string[];
  environment: Environment;
}

export async function runGithubOidc(options: GithubOidcOptions): Promise<number> {
  const print = printer(options);
  return reportingFailures(print, () => githubOidc(options, print.line));
}

async function githubOidc(
  options: GithubOidcOptions,
  line: (text?: string) => void,
): Promise<number> {
  const { values, help } = parseCommandArgs(options.argv, {
    usage: GITHUB_OIDC_USAGE,
    options: {
      apply: { type: "boolean" },
      immutable: { type: "boolean" },
      sandbox: { type: "boolean" },
      ...ENV_FILE_OPTION,
    },
  });
  if (help) {
    line(GITHUB_OIDC_USAGE);
    return 0;
  }
  let env = layeredEnvironment(
    envFilePath(values["env-path"], options.environment),
    options.environment,
  );
  if (values.sandbox) env = await sandboxEnv(env, undefined, "pnpm github:oidc --sandbox");
  const config = loadInfraConfig(env);
  const github = config.github;
  if (!github) {
    throw new UsageError(
      "KEYLESS_GITHUB_REPOSITORY is not set: the stack has no GitHub deploy role, so there is no sub to pin. Set it in .env (owner/repo) first (infra/stack/README.md → GitHub Actions deploy role).",
    );
  }
  const token = env.GITHUB_TOKEN?.trim() ?? "";
  const apply = values.apply === true;
  if (apply && !token) {
    throw new UsageError(
      "--apply changes the repository through GitHub's API: export GITHUB_TOKEN (a token that may administer the repository; classic: the repo scope) and run it again.",
    );
  }
  const api = new GithubOidcApi({
    token,
    repository: github.repository,
    baseUrl: env.GITHUB_API_URL,
  });
  const trusted = githubSubject(github.repository, github.target, github.subjectForm);
  // Once chosen (--immutable, or ids in KEYLESS_GITHUB_REPOSITORY, or already on), every PUT
  // repeats the opt-in to id-based subjects, so no later change can drop it.
  const keepsIds = values.immutable === true || /@\d+\//.test(github.repository);

  line(`GitHub OIDC subject of ${githubRepositoryPath(github.repository)} (${api.endpoint}):`);
  line(`  the deploy role trusts  ${trusted}`);
  if (!token) {
    line("  now                     not read (no GITHUB_TOKEN)");
    line(`  ~ PUT ${JSON.stringify(desiredCustomization(github, keepsIds))}`);
    line("Dry run without GITHUB_TOKEN: this is what --apply would send.");
    return 0;
  }
  const current = await api.read();
  const desired = desiredCustomization(github, keepsIds || current.useImmutableSubject);
  line(`  now                     ${describe(current)}`);
  if (customizationMatches(current, desired)) {
    line("  = nothing to change");
  } else {
    line(`  ~ PUT ${JSON.stringify(desired)}`);
    if (!apply) {
      line(
        "Repository-wide: every OIDC consumer of the repository (other roles, other clouds) sees the new sub. Run again with --apply to change it.",
      );
      return 0;
    }
    await api.write(desired);
    line("  applied");
  }
  const after = customizationMatches(current, desired) ? current : await api.read();
  const problem = prefixProblem(after, github);
  if (problem) {
    line(problem);
    return 1;
  }
  return 0;
}
