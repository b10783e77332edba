import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Runbooks name environment variables and commands; when the code renames one, the runbook
// must change with it, or the person on call types something that no longer exists.

const root = resolve(import.meta.dirname, "../..");
const runbookDir = join(root, "docs", "runbooks");
const runbooks = [
  "rotate-log-shard.md",
  "rotate-signing-key.md",
  "restore-log-database.md",
  "argocd-sync-failed.md",
  "game-day.md",
  "alerts.md",
];
const sections = ["When", "Impact", "Steps", "Verify", "Rollback"];

/** The TypeScript the services, stacks and charts are made of: where variables are read. */
function sourceText(): string {
  const folders = ["services", "src", "stacks", "charts"].map((f) => join(root, f)).filter(existsSync);
  return folders
    .flatMap((folder) =>
      readdirSync(folder, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
        .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8")),
    )
    .join("\n");
}

const source = sourceText();
const read = (name: string) => readFileSync(join(runbookDir, name), "utf8");

/** `SIGNET_*` names the text mentions that no source file spells out. */
function unknownVariables(text: string, code: string): string[] {
  const named = new Set(text.match(/\bSIGNET_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);
  return [...named].filter((name) => !new RegExp(`\\b${name}\\b`).test(code));
}

/** `node services/...` scripts the text runs that do not exist. */
function missingScripts(text: string): string[] {
  const scripts = [...text.matchAll(/\bnode (services\/[\w./-]+\.ts)\b/g)].map((m) => m[1] as string);
  return [...new Set(scripts)].filter((path) => !existsSync(join(root, path)));
}

function headings(text: string): string[] {
  return [...text.matchAll(/^## (.+)$/gm)].map((m) => (m[1] as string).trim());
}

describe("runbooks", () => {
  it("are all there, and nothing else is in the folder", () => {
    expect(readdirSync(runbookDir).sort()).toEqual([...runbooks].sort());
  });

  describe.each(runbooks)("%s", (name) => {
    const text = read(name);

    it("has When, Impact, Steps, Verify and Rollback, in that order", () => {
      const found = headings(text).filter((h) => sections.includes(h));
      expect(found).toEqual(sections);
    });

    it("numbers its steps", () => {
      const steps = text.slice(text.indexOf("## Steps"), text.indexOf("## Verify"));
      expect(steps).toMatch(/^1\. /m);
      expect(steps).toMatch(/^2\. /m);
    });

    it("names only SIGNET_* variables the code reads", () => {
      expect(unknownVariables(text, source)).toEqual([]);
    });

    it("runs only node services/... scripts that exist", () => {
      expect(missingScripts(text)).toEqual([]);
    });

    it("links only to files that exist", () => {
      const links = [...text.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => m[1] as string);
      for (const link of links) expect(existsSync(join(runbookDir, link)), link).toBe(true);
    });
  });

  it("the index links every runbook and names only real variables and scripts", () => {
    const index = readFileSync(join(root, "docs", "README.md"), "utf8");
    for (const name of runbooks) expect(index).toContain(`](runbooks/${name})`);
    expect(unknownVariables(index, source)).toEqual([]);
    expect(missingScripts(index)).toEqual([]);
    const links = [...index.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => m[1] as string);
    for (const link of links) expect(existsSync(join(root, "docs", link)), link).toBe(true);
  });
});

describe("the drift checks themselves", () => {
  it("catch a variable the code does not read and a script that does not exist", () => {
    const text = "set SIGNET_LOG_SHARDS and SIGNET_LOG_SHARD_LIST, then node services/log/rotate.ts";
    expect(unknownVariables(text, source)).toEqual(["SIGNET_LOG_SHARD_LIST"]);
    expect(missingScripts(text)).toEqual(["services/log/rotate.ts"]);
  });
});
