import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ConfigError, loadConfiguration, loadEnvironment } from "../../src/config/load.ts";

const committed = resolve(import.meta.dirname, "../../stacks/environments");
const mainScript = resolve(import.meta.dirname, "../../stacks/main.ts");

/** A private config directory: the committed files, with `edit` applied to one of them. */
function configDirWith(file: string, edit: (doc: Record<string, any>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), "signet-config-"));
  cpSync(committed, dir, { recursive: true });
  const path = join(dir, file);
  const doc = parse(readFileSync(path, "utf8"));
  edit(doc);
  writeFileSync(path, stringify(doc));
  return dir;
}

function errorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("configuration was accepted");
}

describe("environment configuration", () => {
  it("loads the committed environments", () => {
    const { bootstrap, environments } = loadConfiguration(committed);
    expect(environments.map((e) => e.name)).toEqual(bootstrap.environments);
    expect(environments.map((e) => e.project.id)).toEqual(["signet-staging", "signet-production"]);
  });

  it("reads the files from SIGNET_CONFIG_DIR when it is set", () => {
    const dir = configDirWith("staging.yaml", (doc) => {
      doc.region = "us-central1";
    });
    expect(loadEnvironment("staging", dir).region).toBe("us-central1");
  });

  const cases: Array<[string, string, (doc: Record<string, any>) => void, string]> = [
    [
      "a missing field",
      "staging.yaml",
      (d) => delete d.gke.releaseChannel,
      "gke.releaseChannel: missing field",
    ],
    ["an unknown key", "staging.yaml", (d) => (d.cloudSql.tierr = "x"), "cloudSql: unknown key tierr"],
    [
      "overlapping CIDRs",
      "staging.yaml",
      (d) => (d.network.servicesCidr = "10.12.16.0/20"),
      "network.servicesCidr: 10.12.16.0/20 overlaps podsCidr (10.12.0.0/16)",
    ],
    [
      "an invalid project id",
      "production.yaml",
      (d) => (d.project.adopt.id = "Prod_1"),
      "project.adopt.id: invalid project id",
    ],
    [
      "host bits in a CIDR",
      "staging.yaml",
      (d) => (d.network.nodesCidr = "10.10.0.1/20"),
      "network.nodesCidr: invalid CIDR",
    ],
    [
      "two active shards",
      "production.yaml",
      (d) => d.cloudSql.shards.push({ name: "log-2027", treeId: "42", state: "active" }),
      "cloudSql.shards: exactly one shard must be active, found 2",
    ],
    [
      "both adopting and creating a project",
      "staging.yaml",
      (d) =>
        (d.project.create = {
          id: "signet-new",
          name: "Signet new",
          orgId: "1",
          billingAccount: "ABCDEF-012345-6789AB",
        }),
      "project: exactly one of adopt and create is required",
    ],
    [
      "an image by tag only",
      "staging.yaml",
      (d) => (d.images.ca = "europe-west1-docker.pkg.dev/p/signet/ca:latest"),
      "images.ca: invalid image reference",
    ],
    [
      "a different repository than the federation trusts",
      "production.yaml",
      (d) => (d.github.repository = "someone/else"),
      'github.repository: "someone/else" differs from bootstrap.yaml\'s "example-org/signet"',
    ],
    [
      "a project shared by two environments",
      "production.yaml",
      (d) => (d.project.adopt.id = "signet-staging"),
      'project.id: "signet-staging" is already used',
    ],
    [
      "a name that is not the file's",
      "staging.yaml",
      (d) => (d.name = "prod"),
      'name: "prod" does not match',
    ],
  ];

  it.each(cases)("rejects %s with one line naming the file and the field", (_, file, edit, expected) => {
    const dir = configDirWith(file, edit);
    const message = errorOf(() => loadConfiguration(dir));
    expect(message).toContain(`${join(dir, file)}: ${expected}`);
    expect(message).not.toContain("\n");
  });

  it("rejects a file that is not YAML, with its line", () => {
    const dir = configDirWith("staging.yaml", () => {});
    writeFileSync(join(dir, "staging.yaml"), "name: staging\nregion: [unclosed\n");
    expect(errorOf(() => loadConfiguration(dir))).toMatch(/staging\.yaml: invalid YAML at line \d/);
  });

  it("names a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-config-"));
    expect(errorOf(() => loadConfiguration(dir))).toBe(`${join(dir, "bootstrap.yaml")}: file not found`);
  });

  it("fails synth before anything is written", () => {
    const dir = configDirWith("production.yaml", (d) => (d.kms.protectionLevel = "HARDWARE"));
    const cwd = mkdtempSync(join(tmpdir(), "signet-synth-"));
    const run = spawnSync(process.execPath, [mainScript], {
      cwd,
      env: { ...process.env, SIGNET_CONFIG_DIR: dir },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(`${join(dir, "production.yaml")}: kms.protectionLevel:`);
    expect(existsSync(join(cwd, "cdktf.out"))).toBe(false);
  });
});
