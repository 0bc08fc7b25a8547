import { describe, expect, it } from "vitest";
import {
  deployUrl,
  END,
  renderButton,
  replaceButton,
  repositoryUrl,
  START,
} from "../scripts/deploy-button.mjs";

describe("repositoryUrl", () => {
  it("normalises npm's repository forms to one https URL", () => {
    const expected = "https://github.com/acme/keyless";
    for (const form of [
      "https://github.com/acme/keyless",
      "git+https://github.com/acme/keyless.git",
      "git@github.com:acme/keyless.git",
      "github:acme/keyless",
      "acme/keyless",
      { type: "git", url: "https://github.com/acme/keyless.git" },
    ]) {
      expect(repositoryUrl(form)).toBe(expected);
    }
  });

  it("says where to set it when it is missing", () => {
    expect(() => repositoryUrl(undefined)).toThrow(/Add "repository"/);
  });
});

describe("deployUrl", () => {
  it("clones into the project the stack trusts, asking only what is known before the stack", () => {
    const url = new URL(deployUrl("https://github.com/acme/keyless"));
    expect(url.origin + url.pathname).toBe("https://vercel.com/new/clone");
    expect(url.searchParams.get("repository-url")).toBe("https://github.com/acme/keyless");
    expect(url.searchParams.get("root-directory")).toBe("apps/web");
    // Stack outputs cannot be known before `pnpm infra:deploy`: the button must not ask for them.
    expect(url.searchParams.get("env")).toBe("ENABLE_EXPERIMENTAL_COREPACK");
    // Pre-filled (a JSON object, URI-encoded, keys from `env`): the button asks nothing to type.
    expect(JSON.parse(url.searchParams.get("envDefaults") ?? "{}")).toEqual({
      ENABLE_EXPERIMENTAL_COREPACK: "1",
    });
    expect(url.searchParams.get("envDescription")).toContain("pnpm vercel:env --apply");
    // The name .env.example and the sandbox use: the stack's trust pins it.
    expect(url.searchParams.get("project-name")).toBe("web");
    expect(url.searchParams.get("repository-name")).toBe("keyless");
    const renamed = new URL(deployUrl("https://github.com/acme-labs/storefront"));
    expect(renamed.searchParams.get("repository-name")).toBe("storefront");
    expect(url.searchParams.get("envLink")).toBe(
      "https://github.com/acme/keyless/blob/main/apps/web/README.md#environment-variables",
    );
  });
});

describe("replaceButton", () => {
  it("rewrites only what is between the markers", () => {
    const text = `# Title\n${START}\nold\n${END}\nrest\n`;
    const button = renderButton("https://github.com/acme/keyless");
    expect(replaceButton(text, button)).toBe(`# Title\n${START}\n${button}\n${END}\nrest\n`);
    expect(replaceButton("no markers", button)).toBeUndefined();
  });
});
