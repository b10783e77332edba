import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import * as sigstore from "sigstore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalInstance, startLocalInstance } from "../../services/local/instance.ts";
import type { RoundReport } from "../../services/prober/report.ts";

const email = "alice@example.com";

async function tokenFrom(instance: LocalInstance, claims: { sub: string; email?: string }): Promise<string> {
  const response = await fetch(`${instance.endpoints.oidc}/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(claims),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

async function start(
  dataDir: string,
): Promise<{ instance: LocalInstance; firstRound: Promise<RoundReport> }> {
  let first: (report: RoundReport) => void = () => {};
  const firstRound = new Promise<RoundReport>((resolve) => {
    first = resolve;
  });
  const instance = await startLocalInstance({
    dataDir,
    basePort: 0,
    logger: false,
    onRound: (r) => first(r),
  });
  return { instance, firstRound };
}

const signWith = async (instance: LocalInstance, artifact: Buffer) =>
  sigstore.sign(artifact, {
    fulcioURL: instance.endpoints.ca,
    rekorURL: instance.endpoints.rekor,
    tsaServerURL: instance.endpoints.tsa,
    identityToken: await tokenFrom(instance, { sub: "alice", email }),
  });

let dataDir: string;
let local: LocalInstance;
let other: LocalInstance;
let verifier: Verifier;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "signet-local-"));
  const started = await start(dataDir);
  local = started.instance;
  expect((await started.firstRound).ok).toBe(true);
  other = (await start(mkdtempSync(join(tmpdir(), "signet-other-")))).instance;
  const trustedRoot = JSON.parse(readFileSync(join(dataDir, "trusted_root.json"), "utf8"));
  verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot)), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([local?.close(), other?.close()]);
});

const policy = () => ({ subjectAlternativeName: email, extensions: { issuer: local.endpoints.oidc } });

describe("the local instance", () => {
  it("writes its endpoints, trusted root and TUF root", () => {
    const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
    expect(Object.keys(endpoints).sort()).toEqual(["ca", "ctlog", "oidc", "prober", "rekor", "tsa", "tuf"]);
    expect(JSON.parse(readFileSync(join(dataDir, "tuf", "root.json"), "utf8")).signed._type).toBe("root");
  });

  it("signs a blob and the bundle verifies against trusted_root.json and through TUF", async () => {
    const artifact = randomBytes(64);
    const json = await signWith(local, artifact);
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(json), artifact), policy())).not.toThrow();
    await sigstore.verify(json, artifact, {
      tufMirrorURL: local.endpoints.tuf,
      tufRootPath: local.tufRootPath,
      tufCachePath: mkdtempSync(join(tmpdir(), "signet-tuf-cache-")),
      certificateIdentityEmail: email,
      certificateIssuer: local.endpoints.oidc,
    });
  });

  it("attests and the bundle verifies", async () => {
    const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [] }));
    const json = await sigstore.attest(payload, "application/vnd.in-toto+json", {
      fulcioURL: local.endpoints.ca,
      rekorURL: local.endpoints.rekor,
      tsaServerURL: local.endpoints.tsa,
      identityToken: await tokenFrom(local, { sub: "alice", email }),
    });
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(json)), policy())).not.toThrow();
  });

  it("refuses a tampered artifact, a wrong identity and a bundle from another instance", async () => {
    const artifact = randomBytes(32);
    const bundle = bundleFromJSON(await signWith(local, artifact));
    expect(() => verifier.verify(toSignedEntity(bundle, randomBytes(32)), policy())).toThrow();
    expect(() =>
      verifier.verify(toSignedEntity(bundle, artifact), { subjectAlternativeName: "mallory@example.com" }),
    ).toThrow();
    const foreign = bundleFromJSON(await signWith(other, artifact));
    expect(() => verifier.verify(toSignedEntity(foreign, artifact))).toThrow();
  });
});

describe("a restart", () => {
  it("keeps the state: earlier bundles still verify and signing goes on", async () => {
    const artifact = randomBytes(48);
    const before = await signWith(local, artifact);
    // Tests pick free ports, so the issuer URL moves with the restart; npm start keeps its ports.
    const beforePolicy = policy();
    await local.close();
    local = (await start(dataDir)).instance;
    const trustedRoot = JSON.parse(readFileSync(join(dataDir, "trusted_root.json"), "utf8"));
    const afterRestart = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(trustedRoot)), {
      ctlogThreshold: 1,
    });
    expect(() =>
      afterRestart.verify(toSignedEntity(bundleFromJSON(before), artifact), beforePolicy),
    ).not.toThrow();
    const next = randomBytes(48);
    const signedAfter = bundleFromJSON(await signWith(local, next));
    expect(() => afterRestart.verify(toSignedEntity(signedAfter, next), policy())).not.toThrow();
  }, 60_000);
});

describe("npm start", () => {
  it("comes up, reports a passing prober round, and stops cleanly on Ctrl-C", async () => {
    const child = spawn(process.execPath, [resolve(import.meta.dirname, "../../services/local/main.ts")], {
      env: {
        ...process.env,
        SIGNET_LOCAL_DIR: mkdtempSync(join(tmpdir(), "signet-npm-start-")),
        SIGNET_LOCAL_PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const passed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.stdout.on("data", () => {
        if (/round passed/.test(output)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(passed).toBe(true);
    expect(output).toMatch(/rekor\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(await exited).toBe(0);
  }, 45_000);
});
