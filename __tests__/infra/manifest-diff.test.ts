import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  commentBody,
  commentLimit,
  diffEnvironment,
  fileChanges,
  type ManifestDiff,
  manifestComments,
  markerReserve,
} from "../../.github/scripts/manifest-diff.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const revisions = { base: "1111111aaaa", head: "2222222bbbb", runUrl: "https://github.example/run/1" };

/** A scratch directory laid out as the workflow lays it out: `base/<env>/…` and `head/<env>/…`. */
function rendered(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "manifest-diff-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const deployment = (replicas: number) =>
  `apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: ${replicas}\n`;

describe("diffEnvironment", () => {
  it("shows a changed manifest as a unified diff with base/ and head/ paths", () => {
    const dir = rendered({
      "base/staging/ca/deployment.yaml": deployment(1),
      "head/staging/ca/deployment.yaml": deployment(2),
    });
    const change = diffEnvironment(dir, "staging");
    expect(change.diff).toContain(
      "--- base/staging/ca/deployment.yaml\n+++ head/staging/ca/deployment.yaml\n",
    );
    expect(change.diff).toContain("-  replicas: 1\n+  replicas: 2\n");
    expect(change.files).toEqual([{ path: "ca/deployment.yaml", added: 1, removed: 1 }]);
  });

  it("finds nothing to show when both sides render the same", () => {
    const dir = rendered({
      "base/production/a.yaml": deployment(3),
      "head/production/a.yaml": deployment(3),
    });
    expect(diffEnvironment(dir, "production")).toEqual({ environment: "production", diff: "", files: [] });
  });

  it("shows every manifest as added when the base rendered nothing (before the charts existed)", () => {
    const dir = rendered({ "head/staging/log.yaml": deployment(2), "head/staging/ca.yaml": deployment(2) });
    const change = diffEnvironment(dir, "staging");
    expect(change.files).toEqual([
      { path: "ca.yaml", added: 4, removed: 0 },
      { path: "log.yaml", added: 4, removed: 0 },
    ]);
  });
});

describe("fileChanges", () => {
  it("counts hunk lines, not the ---/+++ headers, and removed lines that start with dashes", () => {
    const diff = [
      "diff --git base/s/x.yaml head/s/x.yaml",
      "--- base/s/x.yaml",
      "+++ head/s/x.yaml",
      "@@ -1,2 +1,1 @@",
      "---- a yaml document marker, removed",
      " kept",
      "diff --git base/s/gone.yaml base/s/gone.yaml",
      "deleted file mode 100644",
      "--- base/s/gone.yaml",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      "-a: 1",
    ].join("\n");
    expect(fileChanges(diff)).toEqual([
      { path: "x.yaml", added: 0, removed: 1 },
      { path: "gone.yaml", added: 0, removed: 1 },
    ]);
  });
});

const bigChange = (
  lines: number,
  line = "+  image: europe-west1-docker.pkg.dev/p/signet/ca@sha256:abc",
): ManifestDiff => {
  const diff = `diff --git base/staging/a.yaml head/staging/a.yaml\n--- base/staging/a.yaml\n+++ head/staging/a.yaml\n@@ -0,0 +1,${lines} @@\n${`${line}\n`.repeat(lines)}`;
  return { environment: "staging", diff, files: fileChanges(diff) };
};

describe("commentBody", () => {
  it("heads the diff with the environment, the counts, the files and both revisions", () => {
    const body = commentBody(bigChange(3), revisions);
    expect(body).toMatch(/^### Rendered manifests, `staging`: 1 file changed \(\+3 −0\)\n/);
    expect(body).toContain("base `1111111` and head `2222222` ([run](https://github.example/run/1))");
    expect(body).toContain("- `a.yaml` (+3 −0)");
    expect(body).toContain("<details><summary>Diff</summary>\n\n````diff\ndiff --git");
    expect(body.endsWith("````\n</details>\n")).toBe(true);
  });

  it("says so when an environment does not change", () => {
    const body = commentBody({ environment: "production", diff: "", files: [] }, revisions);
    expect(body).toMatch(/^### Rendered manifests, `production`: no changes\n/);
    expect(body).not.toContain("<details>");
  });

  it("cuts a diff too long for a comment at a line, within GitHub's limit with room for the marker", () => {
    const change = bigChange(5_000);
    expect(change.diff.length).toBeGreaterThan(commentLimit);
    const body = commentBody(change, revisions);
    expect(body.length).toBeLessThanOrEqual(commentLimit - markerReserve);
    expect(body.length).toBeGreaterThan(commentLimit - markerReserve - 200);
    const [, shown = "", total = ""] = /Truncated\*\* after (\d+) of (\d+) diff lines/.exec(body) ?? [];
    expect(Number(total)).toBe(change.diff.split("\n").length - 1);
    expect(Number(shown)).toBeLessThan(Number(total));
    // The fenced block still closes, and the last line shown is whole.
    const fenced = body.slice(body.indexOf("````diff\n") + 9, body.indexOf("\n````\n</details>"));
    expect(fenced.split("\n").at(-1)).toBe("+  image: europe-west1-docker.pkg.dev/p/signet/ca@sha256:abc");
    expect(fenced.split("\n")).toHaveLength(Number(shown));
  });

  it("cuts at any given limit, as the job summary's share", () => {
    const body = commentBody(bigChange(5_000), revisions, 10_000);
    expect(body.length).toBeLessThanOrEqual(10_000);
    expect(body).toContain("**Truncated**");
  });

  it("fences the diff with more backticks than it contains", () => {
    const body = commentBody(bigChange(2, "+  description: use ```` to quote"), revisions);
    expect(body).toContain("`````diff\n");
    expect(body).toContain("\n`````\n</details>");
  });
});

describe("node .github/scripts/manifest-diff.ts", () => {
  it("writes one comment per environment rendered on either side, and prints the summary", () => {
    const dir = rendered({
      "base/staging/ca.yaml": deployment(1),
      "head/staging/ca.yaml": deployment(2),
      "base/production/ca.yaml": deployment(2),
      "head/production/ca.yaml": deployment(2),
      "head/comments.json": "not an environment",
    });
    const result = spawnSync(process.execPath, [".github/scripts/manifest-diff.ts", dir], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { PATH: process.env.PATH, BASE_SHA: revisions.base, HEAD_SHA: revisions.head },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const comments = JSON.parse(readFileSync(join(dir, "comments.json"), "utf8"));
    expect(
      comments.map((c: { environment: string; changed: boolean }) => [c.environment, c.changed]),
    ).toEqual([
      ["production", false],
      ["staging", true],
    ]);
    expect(result.stdout).toContain("### Rendered manifests, `staging`: 1 file changed (+1 −1)");
    expect(result.stdout).toContain("### Rendered manifests, `production`: no changes");
  });

  it("summarises an empty comparison instead of printing nothing", () => {
    expect(manifestComments(rendered({}), revisions)).toEqual({
      comments: [],
      summary: "No rendered manifests on either side.\n",
    });
  });
});
