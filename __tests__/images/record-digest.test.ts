import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseUpdates, recordDigests } from "../../images/record-digest.ts";
import { configDir, loadEnvironment } from "../../src/config/load.ts";
import { repoRoot } from "./dockerfile.ts";

const stagingFile = join(configDir({}), "staging.yaml");
const stagingText = readFileSync(stagingFile, "utf8");
const repository = "europe-west1-docker.pkg.dev/signet-staging/signet";
const digest = (n: string) => n.repeat(64);
const image = (service: string, n: string) => `${repository}/${service}@sha256:${digest(n)}`;

/** Lines of `after` that differ from the same line of `before` (the edit never adds or removes lines). */
function changedLines(before: string, after: string): string[] {
  const old = before.split("\n");
  const lines = after.split("\n");
  expect(lines).toHaveLength(old.length);
  return lines.filter((line, i) => line !== old[i]);
}

describe("recordDigests", () => {
  it("changes exactly the image lines, keeping comments and formatting", () => {
    const updates = { ca: image("ca", "a"), log: image("log", "b"), prober: image("prober", "c") };
    const { text, changes } = recordDigests(stagingFile, stagingText, updates);
    expect(changedLines(stagingText, text)).toEqual([
      `  ca: ${updates.ca}`,
      `  log: ${updates.log}`,
      `  prober: ${updates.prober}`,
    ]);
    expect(changes.map((c) => c.service)).toEqual(["ca", "log", "prober"]);
    expect(changes[0]?.from).toMatch(/@sha256:0+1$/);
  });

  it("writes a file the stacks and charts load, naming the new digests", () => {
    const dir = mkdtempSync(join(tmpdir(), "record-digest-"));
    const { text } = recordDigests(stagingFile, stagingText, { log: image("log", "d") });
    writeFileSync(join(dir, "staging.yaml"), text);
    expect(loadEnvironment("staging", dir).images.log).toBe(image("log", "d"));
  });

  it("keeps a comment on an image's own line", () => {
    const withComment = stagingText.replace(/^( {2}ca: \S+)$/m, "$1 # pinned for the game day");
    const { text } = recordDigests(stagingFile, withComment, { ca: image("ca", "e") });
    expect(text).toContain(`  ca: ${image("ca", "e")} # pinned for the game day\n`);
  });

  it("leaves the text as it was when the digests are already recorded", () => {
    const current = loadEnvironment("staging").images;
    const { text, changes } = recordDigests(stagingFile, stagingText, current);
    expect(changes).toEqual([]);
    expect(text).toBe(stagingText);
  });

  it("refuses an image outside the environment's own repository, where its nodes cannot pull", () => {
    const production = `europe-west1-docker.pkg.dev/signet-production/signet/ca@sha256:${digest("f")}`;
    expect(() => recordDigests(stagingFile, stagingText, { ca: production })).toThrow(
      `${stagingFile}: images.ca: ${production} is not in this environment's repository ${repository}/ca`,
    );
    // The log's image recorded as the CA's is refused too.
    expect(() => recordDigests(stagingFile, stagingText, { ca: image("log", "f") })).toThrow(/images\.ca: /);
  });

  it("refuses a reference without a digest, naming the file and field", () => {
    expect(() => recordDigests(stagingFile, stagingText, { prober: `${repository}/prober:latest` })).toThrow(
      new RegExp(`^${stagingFile}: images\\.prober: invalid image reference`),
    );
  });

  it("refuses a file without the image to update", () => {
    const without = stagingText.replace(/^ {2}prober: .*\n/m, "");
    expect(() => recordDigests(stagingFile, without, { prober: image("prober", "1") })).toThrow(
      "images.prober: missing, nothing to update",
    );
  });
});

describe("parseUpdates", () => {
  it("reads <service>=<image> pairs", () => {
    expect(parseUpdates([`ca=${image("ca", "2")}`, `prober=${image("prober", "3")}`])).toEqual({
      ca: image("ca", "2"),
      prober: image("prober", "3"),
    });
  });

  it("refuses unknown services, repeats and an empty list", () => {
    expect(() => parseUpdates([`tuf=${image("tuf", "4")}`])).toThrow(/service one of ca, log, prober/);
    expect(() => parseUpdates([image("ca", "4")])).toThrow(/expected <service>=/);
    expect(() => parseUpdates([`ca=${image("ca", "4")}`, `ca=${image("ca", "5")}`])).toThrow(
      "ca: given twice",
    );
    expect(() => parseUpdates([])).toThrow(/no image given/);
  });
});

describe("node images/record-digest.ts", () => {
  const run = (dir: string, args: string[]) =>
    spawnSync(process.execPath, ["images/record-digest.ts", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { PATH: process.env.PATH, SIGNET_CONFIG_DIR: dir },
    });

  it("rewrites the environment file in $SIGNET_CONFIG_DIR and says what changed", () => {
    const dir = mkdtempSync(join(tmpdir(), "record-digest-"));
    cpSync(stagingFile, join(dir, "staging.yaml"));
    const result = run(dir, ["--environment", "staging", `ca=${image("ca", "6")}`]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`images.ca `);
    expect(result.stdout).toContain(`-> ${image("ca", "6")}`);
    expect(loadEnvironment("staging", dir).images.ca).toBe(image("ca", "6"));
    // The committed template is untouched.
    expect(readFileSync(stagingFile, "utf8")).toBe(stagingText);

    const again = run(dir, ["--environment", "staging", `ca=${image("ca", "6")}`]);
    expect(again.stdout).toMatch(/already records these images/);
  });

  it("fails with one line when an image is refused, and leaves the file alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "record-digest-"));
    cpSync(stagingFile, join(dir, "staging.yaml"));
    const result = run(dir, ["--environment", "staging", `ca=${repository}/ca:latest`]);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(join(dir, "staging.yaml"), "utf8")).toBe(stagingText);
  });
});
