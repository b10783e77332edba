import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TrustError } from "../../../services/trust/errors.ts";
import { tufKey } from "../../../services/trust/tuf/keys.ts";
import {
  addTargets,
  initRepository,
  resignTimestamp,
  rotateRoot,
} from "../../../services/trust/tuf/repository.ts";
import { readRepository } from "../../../services/trust/tuf/store.ts";
import { testSigner } from "./support.ts";

const day = 24 * 60 * 60 * 1000;
const now = new Date("2030-06-01T12:00:00.250Z");
const keys = { root: testSigner(), targets: testSigner(), online: testSigner() };
const signers = { root: [keys.root], targets: [keys.targets], snapshot: keys.online, timestamp: keys.online };
const targets = { "trusted_root.json": Buffer.from('{"mediaType":"x"}') };
let dir: string;

async function refused(promise: Promise<unknown>, code: string): Promise<TrustError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TrustError);
  expect((error as TrustError).code).toBe(code);
  return error as TrustError;
}

const readJson = async (name: string) => JSON.parse(await readFile(join(dir, name), "utf8"));

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "signet-tuf-repo-")), "repository");
});

afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

describe("initRepository", () => {
  it("writes a consistent-snapshot repository with versioned metadata and hash-named targets", async () => {
    await initRepository({ dir, signers, targets, now });

    const files = (await readdir(dir, { recursive: true })).sort();
    expect(files).toEqual([
      "1.root.json",
      "1.snapshot.json",
      "1.targets.json",
      "root.json",
      "targets",
      expect.stringMatching(/^targets\/[0-9a-f]{64}\.trusted_root\.json$/),
      "timestamp.json",
    ]);
    const root = await readJson("root.json");
    expect(root).toEqual(await readJson("1.root.json"));
    expect(root.signed.consistent_snapshot).toBe(true);
    expect(Object.values(root.signed.keys)).toContainEqual({
      keytype: "ecdsa",
      scheme: "ecdsa-sha2-nistp256",
      keyval: { public: keys.online.publicKey.export({ type: "spki", format: "pem" }) },
    });
  });

  it("gives each role its own lifetime, in whole seconds", async () => {
    const state = await initRepository({ dir, signers, targets, now });

    expect(state.root.signed.expires).toBe("2031-06-01T12:00:00Z");
    expect(state.targets.signed.expires).toBe("2030-11-30T12:00:00Z");
    expect(state.snapshot.signed.expires).toBe("2030-06-22T12:00:00Z");
    expect(state.timestamp.signed.expires).toBe("2030-06-02T12:00:00Z");
  });

  it("names the root and targets keys with their thresholds", async () => {
    const rootKeys = [testSigner(), testSigner(), testSigner()];
    const state = await initRepository({
      dir,
      signers: { ...signers, root: rootKeys },
      thresholds: { root: 2 },
      targets,
    });

    expect(state.root.signed.roles.root?.threshold).toBe(2);
    expect(state.root.signed.roles.root?.keyIDs).toEqual(rootKeys.map((k) => tufKey(k.publicKey).keyID));
  });

  it("refuses a threshold above the number of keys", async () => {
    await refused(
      initRepository({ dir, signers, thresholds: { targets: 2 }, targets }),
      "TUF_THRESHOLD_NOT_MET",
    );
  });

  it("refuses to overwrite an existing repository", async () => {
    await initRepository({ dir, signers, targets });
    await refused(initRepository({ dir, signers, targets }), "TUF_REPOSITORY_EXISTS");
  });
});

describe("new versions", () => {
  it("add-targets keeps other targets and bumps targets, snapshot and timestamp", async () => {
    await initRepository({ dir, signers, targets });
    const config = { "signing_config.v0.2.json": Buffer.from("{}") };

    const state = await addTargets({ dir, signers, targets: config });

    expect(Object.keys(state.targets.signed.targets).sort()).toEqual([
      "signing_config.v0.2.json",
      "trusted_root.json",
    ]);
    expect(state.targets.signed.version).toBe(2);
    expect(state.snapshot.signed.version).toBe(2);
    expect(state.timestamp.signed.version).toBe(2);
    expect(state.timestamp.signed.snapshotMeta.length).toBe(
      (await readFile(join(dir, "2.snapshot.json"))).length,
    );
  });

  it("resign-timestamp changes only the timestamp", async () => {
    await initRepository({ dir, signers, targets, now });
    const later = new Date(now.getTime() + day);

    const state = await resignTimestamp({ dir, signer: keys.online, now: later });

    expect(state.timestamp.signed.version).toBe(2);
    expect(state.timestamp.signed.expires).toBe("2030-06-03T12:00:00Z");
    expect(state.snapshot.signed.version).toBe(1);
    const stored = await readRepository(dir);
    expect(stored.timestamp.toJSON()).toEqual(state.timestamp.toJSON());
  });

  it("refuses targets signed by a key the root does not name, and leaves the timestamp alone", async () => {
    await initRepository({ dir, signers, targets });
    const before = await readJson("timestamp.json");

    const stranger = { ...signers, targets: [testSigner()] };
    await refused(addTargets({ dir, signers: stranger, targets }), "TUF_THRESHOLD_NOT_MET");
    await refused(resignTimestamp({ dir, signer: testSigner() }), "TUF_THRESHOLD_NOT_MET");

    expect(await readJson("timestamp.json")).toEqual(before);
  });

  it("refuses target names that are paths", async () => {
    await initRepository({ dir, signers, targets });
    const outside = { "../trusted_root.json": Buffer.from("{}") };

    await refused(addTargets({ dir, signers, targets: outside }), "TUF_METADATA_INVALID");
  });

  it("needs a repository", async () => {
    await refused(resignTimestamp({ dir, signer: keys.online }), "TUF_REPOSITORY_MISSING");
  });
});

describe("rotateRoot", () => {
  it("writes root N+1 signed by the old and the new root keys", async () => {
    await initRepository({ dir, signers, targets });
    const next = testSigner();

    const state = await rotateRoot({ dir, currentRootSigners: [keys.root], signers: { root: [next] } });

    const written = await readJson("2.root.json");
    expect(written).toEqual(await readJson("root.json"));
    expect(written.signatures.map((s: { keyid: string }) => s.keyid).sort()).toEqual(
      [tufKey(keys.root.publicKey).keyID, tufKey(next.publicKey).keyID].sort(),
    );
    expect(state.timestamp.signed.version).toBe(1);
  });

  it("refuses a new root the current root keys did not sign", async () => {
    await initRepository({ dir, signers, targets });
    const next = testSigner();

    await refused(
      rotateRoot({ dir, currentRootSigners: [next], signers: { root: [next] } }),
      "TUF_THRESHOLD_NOT_MET",
    );
  });

  it("needs the current threshold of root keys", async () => {
    const rootKeys = [testSigner(), testSigner()];
    await initRepository({ dir, signers: { ...signers, root: rootKeys }, thresholds: { root: 2 }, targets });

    const next = { root: [testSigner()] };
    const rotation = { dir, signers: next, thresholds: { root: 1 } };

    await refused(
      rotateRoot({ ...rotation, currentRootSigners: rootKeys.slice(1) }),
      "TUF_THRESHOLD_NOT_MET",
    );
    const state = await rotateRoot({ ...rotation, currentRootSigners: rootKeys });
    expect(state.root.signed.version).toBe(2);
  });

  it("re-signs snapshot and timestamp under a new online key", async () => {
    await initRepository({ dir, signers, targets });
    const online = testSigner();

    const state = await rotateRoot({
      dir,
      currentRootSigners: [keys.root],
      signers: { root: [keys.root], snapshot: online, timestamp: online },
    });

    expect(state.snapshot.signed.version).toBe(2);
    expect(state.timestamp.signed.version).toBe(2);
    expect(() => state.root.verifyDelegate("timestamp", state.timestamp)).not.toThrow();
  });

  it("asks for the signers of the roles a key change forces to re-sign", async () => {
    await initRepository({ dir, signers, targets });

    const error = await refused(
      rotateRoot({
        dir,
        currentRootSigners: [keys.root],
        signers: { root: [keys.root], snapshot: testSigner() },
      }),
      "TUF_THRESHOLD_NOT_MET",
    );
    expect(error.message).toMatch(/timestamp must be re-signed/);
  });
});
