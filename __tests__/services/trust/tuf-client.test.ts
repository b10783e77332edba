import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { TUFError } from "@sigstore/tuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildTrustedRoot, type TrustedRootJson } from "../../../services/trust/trusted-root.ts";
import {
  addTargets,
  initRepository,
  resignTimestamp,
  rotateRoot,
} from "../../../services/trust/tuf/repository.ts";
import { fileNames } from "../../../services/trust/tuf/store.ts";
import { createCa, generateKey } from "../../support/pki.ts";
import { fetchTrustedRoot, type Mirror, serveDirectory, testSigner } from "./support.ts";

const day = 24 * 60 * 60 * 1000;
let work: string;
let dir: string;
let mirror: Mirror;
let cacheCount = 0;

const keys = { root: testSigner(), targets: testSigner(), online: testSigner() };
const signers = {
  root: [keys.root],
  targets: [keys.targets],
  snapshot: keys.online,
  timestamp: keys.online,
};

async function trustedRootFor(rekorUrl: string): Promise<TrustedRootJson> {
  const ca = await createCa({ commonName: "signet-test-root" });
  const validFor = { start: new Date("2025-01-01T00:00:00Z") };
  return buildTrustedRoot({
    tlogs: [{ baseUrl: rekorUrl, spki: generateKey().spki, validFor }],
    ctlogs: [{ baseUrl: "https://ct.signet.test", spki: generateKey().spki, validFor }],
    certificateAuthorities: [
      {
        uri: "https://ca.signet.test",
        subject: { organization: "signet", commonName: "ca" },
        chain: [ca.der],
        validFor,
      },
    ],
    timestampAuthorities: [],
  });
}

const bytesOf = (json: unknown) => Buffer.from(JSON.stringify(json));
const asClientSees = (json: TrustedRootJson) => TrustedRoot.toJSON(TrustedRoot.fromJSON(json));
const newCache = () => join(work, `cache-${++cacheCount}`);

/** A client that starts from root v1, as one shipped with the first root would. */
async function clientFromFirstRoot(cachePath = newCache()) {
  const rootPath = join(work, "initial-root.json");
  if (!existsSync(rootPath)) await copyFile(join(dir, fileNames.root(1)), rootPath);
  return fetchTrustedRoot(mirror, rootPath, cachePath);
}

async function refusal(promise: Promise<unknown>): Promise<TUFError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TUFError);
  return error as TUFError;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "signet-tuf-"));
  dir = join(work, "repository");
  mirror = await serveDirectory(dir);
});

afterEach(async () => {
  await mirror.close();
  await rm(work, { recursive: true, force: true });
});

describe("a repository read by @sigstore/tuf", () => {
  it("hands the client our trusted root through consistent snapshots", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(trustedRoot) } });

    const fetched = await clientFromFirstRoot();

    expect(TrustedRoot.toJSON(fetched)).toEqual(asClientSees(trustedRoot));
    expect(mirror.requests).toEqual([
      "/2.root.json",
      "/timestamp.json",
      "/1.snapshot.json",
      "/1.targets.json",
      expect.stringMatching(/^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/),
    ]);
  });

  it("serves new targets after add-targets, and keeps the old files for clients mid-update", async () => {
    const first = await trustedRootFor("https://rekor.signet.test");
    const second = await trustedRootFor("https://rekor2.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(first) } });
    const cache = newCache();
    await clientFromFirstRoot(cache);

    const state = await addTargets({ dir, signers, targets: { "trusted_root.json": bytesOf(second) } });

    expect(state.targets.signed.version).toBe(2);
    expect(existsSync(join(dir, fileNames.targets(1)))).toBe(true);
    expect(TrustedRoot.toJSON(await clientFromFirstRoot(cache))).toEqual(asClientSees(second));
  });

  it("accepts an online key on P-384, as a KMS EC_SIGN_P384_SHA384 key signs", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    const online = testSigner("ecdsa-p384-sha384");
    await initRepository({
      dir,
      signers: { ...signers, snapshot: online, timestamp: online },
      targets: { "trusted_root.json": bytesOf(trustedRoot) },
    });

    expect(TrustedRoot.toJSON(await clientFromFirstRoot())).toEqual(asClientSees(trustedRoot));
  });

  it("refuses an expired timestamp", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(trustedRoot) } });
    await resignTimestamp({
      dir,
      signer: keys.online,
      now: new Date(Date.now() - 2 * day),
      expiries: { timestamp: day },
    });

    const error = await refusal(clientFromFirstRoot());

    expect(error.code).toBe("TUF_REFRESH_METADATA_ERROR");
    expect(String(error.cause)).toMatch(/timestamp\.json is expired/);
  });

  it("recovers once the timestamp is re-signed", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(trustedRoot) } });
    const past = new Date(Date.now() - 2 * day);
    await resignTimestamp({ dir, signer: keys.online, now: past, expiries: { timestamp: day } });
    const cache = newCache();
    await refusal(clientFromFirstRoot(cache));

    const state = await resignTimestamp({ dir, signer: keys.online });

    expect(state.timestamp.signed.version).toBe(3);
    expect(TrustedRoot.toJSON(await clientFromFirstRoot(cache))).toEqual(asClientSees(trustedRoot));
  });

  it("follows a root rotation from v1 to v2 and trusts the targets signed under the new keys", async () => {
    const first = await trustedRootFor("https://rekor.signet.test");
    const second = await trustedRootFor("https://rekor2.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(first) } });
    const cachedClient = newCache();
    await clientFromFirstRoot(cachedClient);
    const next = { root: [testSigner()], targets: [testSigner()] };

    await rotateRoot({
      dir,
      currentRootSigners: [keys.root],
      signers: { ...next, snapshot: keys.online, timestamp: keys.online },
    });
    await addTargets({
      dir,
      signers: { targets: next.targets, snapshot: keys.online, timestamp: keys.online },
      targets: { "trusted_root.json": bytesOf(second) },
    });

    for (const cache of [cachedClient, newCache()]) {
      expect(TrustedRoot.toJSON(await clientFromFirstRoot(cache))).toEqual(asClientSees(second));
      const cachedRoot = JSON.parse(
        await readFile(join(cache, encodeURIComponent(mirror.url.slice(7)), "root.json"), "utf8"),
      );
      expect(cachedRoot.signed.version).toBe(2);
    }
    expect(mirror.requests).toContain("/3.root.json");
  });

  it("refuses a target whose content was changed on the mirror", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    const state = await initRepository({
      dir,
      signers,
      targets: { "trusted_root.json": bytesOf(trustedRoot) },
    });
    const sha256 = state.targets.signed.targets["trusted_root.json"]?.hashes.sha256 as string;
    const forged = await trustedRootFor("https://evil.signet.test");
    await writeFile(join(dir, fileNames.target(sha256, "trusted_root.json")), bytesOf(forged));

    const error = await refusal(clientFromFirstRoot());

    expect(error.code).toBe("TUF_DOWNLOAD_TARGET_ERROR");
  });

  it("refuses targets metadata changed on the mirror", async () => {
    const trustedRoot = await trustedRootFor("https://rekor.signet.test");
    await initRepository({ dir, signers, targets: { "trusted_root.json": bytesOf(trustedRoot) } });
    const path = join(dir, fileNames.targets(1));
    const targets = JSON.parse(await readFile(path, "utf8"));
    targets.signed.expires = "2100-01-01T00:00:00Z";
    await writeFile(path, JSON.stringify(targets));

    const error = await refusal(clientFromFirstRoot());

    expect(error.code).toBe("TUF_REFRESH_METADATA_ERROR");
  });
});
