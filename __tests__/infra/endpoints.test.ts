import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { endpointLines } from "../../.github/scripts/endpoints.ts";
import { endpointUrls, imageRepository, imageRepositoryId } from "../../src/config/endpoints.ts";
import { configDir } from "../../src/config/load.ts";
import { PublicEndpoints } from "../../src/gcp/dns.ts";
import { ImageRegistry } from "../../src/gcp/registry.ts";
import { production, staging, synthConstruct } from "./support.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const environments = [staging, production];

describe("endpointUrls", () => {
  it.each(environments)("are https URLs at the host names $name's DNS records publish", (environment) => {
    let hostnames: Record<string, string> = {};
    synthConstruct((scope) => {
      const endpoints = new PublicEndpoints(scope, "dns", {
        project: environment.project.id,
        domain: environment.dns.domain,
        zoneName: environment.dns.zoneName,
      });
      hostnames = endpoints.hostnames;
    });
    const expected = Object.fromEntries(
      Object.entries(hostnames).map(([name, host]) => [name, `https://${host}`]),
    );
    expect(endpointUrls(environment)).toEqual(expected);
  });
});

describe("imageRepository", () => {
  it.each(environments)("is the URL of $name's Artifact Registry repository", (environment) => {
    let registry: ImageRegistry | undefined;
    synthConstruct((scope) => {
      registry = new ImageRegistry(scope, "registry", {
        project: environment.project.id,
        location: environment.region,
        repositoryId: imageRepositoryId,
        keepRecentVersions: 1,
      });
    });
    expect(imageRepository(environment)).toBe(registry?.url);
  });
});

describe("node .github/scripts/endpoints.ts", () => {
  it("prints name=value lines for $GITHUB_OUTPUT", () => {
    expect(endpointLines("staging")).toEqual([
      "ca=https://ca.staging.signet.example.com",
      "rekor=https://rekor.staging.signet.example.com",
      "tsa=https://tsa.staging.signet.example.com",
      "ctlog=https://ctlog.staging.signet.example.com",
      "tuf=https://tuf.staging.signet.example.com",
      "registry=europe-west1-docker.pkg.dev/signet-staging/signet",
      `tufRoot=${join(configDir(), "staging", "tuf-root.json")}`,
    ]);
    expect(JSON.parse(readFileSync(join(configDir(), "staging", "tuf-root.json"), "utf8")).signed._type).toBe(
      "root",
    );
  });

  it("refuses an environment without a committed TUF root", () => {
    const dir = mkdtempSync(join(tmpdir(), "endpoints-"));
    cpSync(join(configDir(), "staging.yaml"), join(dir, "staging.yaml"));
    expect(() => endpointLines("staging", dir)).toThrow(
      `${join(dir, "staging", "tuf-root.json")}: file not found (the published TUF root.json)`,
    );
  });

  it("fails with one line naming the file for an unknown environment", () => {
    const result = spawnSync(process.execPath, [".github/scripts/endpoints.ts", "nowhere"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim()).toMatch(/nowhere\.yaml: file not found$/);
  });
});
