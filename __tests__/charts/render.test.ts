import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { header, renderToDirectory } from "../../charts/output.ts";
import { configDir } from "../../src/config/load.ts";

const repository = join(import.meta.dirname, "../..");
const committed = join(repository, "charts/rendered");
const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "signet-render-"));
  temporary.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name))],
    )
    .sort();
}

describe("npm run render", () => {
  it("matches the committed charts/rendered byte for byte", () => {
    const out = tempDir();
    renderToDirectory(out);
    const stale = "charts/rendered is stale: run `npm run render` and commit the result";
    expect(filesUnder(committed), stale).toEqual(filesUnder(out));
    for (const file of filesUnder(out)) {
      expect(readFileSync(join(committed, file), "utf8"), `${stale} (${file})`).toBe(
        readFileSync(join(out, file), "utf8"),
      );
    }
  });

  it("is deterministic, and every file says it is generated", () => {
    const [first, second] = [tempDir(), tempDir()];
    renderToDirectory(first);
    renderToDirectory(second);
    const files = filesUnder(first);
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = readFileSync(join(first, file), "utf8");
      expect(text.startsWith(header)).toBe(true);
      expect(readFileSync(join(second, file), "utf8")).toBe(text);
    }
  });

  it("writes one folder per environment and none for bootstrap", () => {
    const out = tempDir();
    expect(Object.keys(renderToDirectory(out))).toEqual(["production", "staging"]);
    expect(readdirSync(out).sort()).toEqual(["production", "staging"]);
  });

  it("removes files an earlier render left and this one does not produce", () => {
    const out = tempDir();
    renderToDirectory(out);
    writeFileSync(join(out, "staging/signet-ca/deployment-old.yaml"), "stale");
    cpSync(join(out, "staging/signet-ca"), join(out, "staging/signet-gone"), { recursive: true });
    renderToDirectory(out);
    expect(existsSync(join(out, "staging/signet-ca/deployment-old.yaml"))).toBe(false);
    expect(existsSync(join(out, "staging/signet-gone"))).toBe(false);
    expect(existsSync(join(out, "staging/signet-ca/deployment-ca.yaml"))).toBe(true);
  });

  it("writes to --out from the command line", () => {
    const out = tempDir();
    const stdout = execFileSync(process.execPath, ["charts/render.ts", "--out", out], {
      cwd: repository,
      encoding: "utf8",
    });
    expect(stdout).toContain(`staging: `);
    expect(filesUnder(out)).toEqual(filesUnder(committed));
  });

  it("writes nothing, and says why in one line, when an environment is invalid", () => {
    const config = tempDir();
    cpSync(configDir(), config, { recursive: true });
    const file = join(config, "production.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("maxReplicas: 6", "maxReplicas: 1"));
    const out = tempDir();
    const result = spawnSync(process.execPath, ["charts/render.ts", "--out", out], {
      cwd: repository,
      encoding: "utf8",
      env: { ...process.env, SIGNET_CONFIG_DIR: config },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      `${file}: charts.ca.maxReplicas: maxReplicas must be at least replicas`,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it("names the missing trust file", () => {
    const config = tempDir();
    cpSync(configDir(), config, { recursive: true });
    rmSync(join(config, "staging/tuf-root.json"));
    expect(() => renderToDirectory(tempDir(), config)).toThrow(
      `${join(config, "staging/tuf-root.json")}: file not found (the published TUF root.json)`,
    );
  });
});
