import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildLocalTrust, type LocalTrustOptions } from "../../../services/trust/local.ts";
import { buildSigningConfig } from "../../../services/trust/signing-config.ts";
import { buildTrustedRoot } from "../../../services/trust/trusted-root.ts";
import { generateKey } from "../../support/pki.ts";
import { fetchTrustedRoot, type Mirror, serveDirectory, testSigner } from "./support.ts";

const hour = 60 * 60 * 1000;
const validFor = { start: new Date("2025-01-01T00:00:00Z") };
const trustedRootFor = (baseUrl: string) =>
  buildTrustedRoot({
    tlogs: [{ baseUrl, spki: generateKey().spki, validFor }],
    ctlogs: [],
    certificateAuthorities: [],
    timestampAuthorities: [],
  });
const signingConfig = buildSigningConfig({
  operator: "localhost",
  validFor,
  ca: "http://127.0.0.1:1",
  rekor: "http://127.0.0.1:2",
});

let work: string;
let dir: string;
let mirror: Mirror;
let options: LocalTrustOptions;
let cacheCount = 0;

const fetchFrom = (rootPath: string) =>
  fetchTrustedRoot(mirror, rootPath, join(work, `cache-${++cacheCount}`));
const later = (hours: number) => new Date(Date.now() + hours * hour);

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "signet-local-trust-"));
  dir = join(work, "tuf");
  mirror = await serveDirectory(dir);
  options = {
    dir,
    trustedRoot: trustedRootFor("http://127.0.0.1:2"),
    signingConfig,
    onlineSigner: testSigner(),
  };
});

afterEach(async () => {
  await mirror.close();
  await rm(work, { recursive: true, force: true });
});

describe("buildLocalTrust", () => {
  it("creates a repository a client starting from its root.json reads, with keys kept outside it", async () => {
    const { rootPath, state } = await buildLocalTrust(options);

    expect(rootPath).toBe(join(dir, "root.json"));
    expect(Object.keys(state.targets.signed.targets).sort()).toEqual([
      "signing_config.v0.2.json",
      "trusted_root.json",
    ]);
    expect((await readdir(`${dir}-keys`)).sort()).toEqual(["root.pem", "targets.pem"]);
    expect((await readdir(dir, { recursive: true })).some((name) => name.endsWith(".pem"))).toBe(false);
    const fetched = await fetchFrom(rootPath);
    expect(TrustedRoot.toJSON(fetched)).toEqual(
      TrustedRoot.toJSON(TrustedRoot.fromJSON(options.trustedRoot)),
    );
  });

  it("signs nothing new on a restart with the same instance", async () => {
    const first = await buildLocalTrust(options);

    const second = await buildLocalTrust({ ...options, now: later(1) });

    expect(second.state.root.signed.version).toBe(1);
    expect(second.state.timestamp.toJSON()).toEqual(first.state.timestamp.toJSON());
  });

  it("publishes a new targets version when the trusted root changed", async () => {
    const { rootPath } = await buildLocalTrust(options);
    const startingRoot = join(work, "first-root.json");
    await copyFile(rootPath, startingRoot);
    const changed = trustedRootFor("http://127.0.0.1:3");

    const { state } = await buildLocalTrust({ ...options, trustedRoot: changed });

    expect(state.targets.signed.version).toBe(2);
    expect(TrustedRoot.toJSON(await fetchFrom(startingRoot))).toEqual(
      TrustedRoot.toJSON(TrustedRoot.fromJSON(changed)),
    );
  });

  it("re-signs the timestamp past half its life, and the snapshot past half of its own", async () => {
    await buildLocalTrust(options);

    const restarted = await buildLocalTrust({ ...options, now: later(13) });
    expect(restarted.state.timestamp.signed.version).toBe(2);
    expect(restarted.state.snapshot.signed.version).toBe(1);

    const weeksLater = await buildLocalTrust({ ...options, now: later(11 * 24) });
    expect(weeksLater.state.snapshot.signed.version).toBe(2);
    expect(weeksLater.state.timestamp.signed.version).toBe(3);
  });

  it("renews the root and targets with the same keys before they expire", async () => {
    const { rootPath } = await buildLocalTrust(options);
    const startingRoot = join(work, "first-root.json");
    await copyFile(rootPath, startingRoot);

    const { state } = await buildLocalTrust({ ...options, now: later(200 * 24) });

    expect(state.root.signed.version).toBe(2);
    expect(state.root.signed.keys).toEqual((await buildLocalTrust(options)).state.root.signed.keys);
    expect(state.targets.signed.version).toBe(2);
    expect(TrustedRoot.toJSON(await fetchFrom(startingRoot))).toEqual(
      TrustedRoot.toJSON(TrustedRoot.fromJSON(options.trustedRoot)),
    );
  });

  it("rotates the root when the targets key file was replaced", async () => {
    await buildLocalTrust(options);
    await rm(join(`${dir}-keys`, "targets.pem"));

    const { state } = await buildLocalTrust({
      ...options,
      trustedRoot: trustedRootFor("http://127.0.0.1:4"),
    });

    expect(state.root.signed.version).toBe(2);
    expect(state.targets.signed.version).toBe(3);
    expect(() => state.root.verifyDelegate("targets", state.targets)).not.toThrow();
  });

  it("rotates the root when the online key changed, and a client on the old root follows", async () => {
    const { rootPath } = await buildLocalTrust(options);
    const startingRoot = join(work, "first-root.json");
    await copyFile(rootPath, startingRoot);

    const { state } = await buildLocalTrust({ ...options, onlineSigner: testSigner() });

    expect(state.root.signed.version).toBe(2);
    expect(existsSync(join(dir, "2.root.json"))).toBe(true);
    expect(TrustedRoot.toJSON(await fetchFrom(startingRoot))).toEqual(
      TrustedRoot.toJSON(TrustedRoot.fromJSON(options.trustedRoot)),
    );
  });
});
