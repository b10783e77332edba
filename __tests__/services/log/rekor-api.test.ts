/**
 * Contract tests of the Rekor v1 API (sigstore/rekor openapi.yaml) over HTTP: every endpoint, each
 * answer checked the way a client checks it — SETs, inclusion and consistency proofs, checkpoints.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency } from "../../../services/common/merkle/verify.ts";
import { generateKey, issueLeaf, type TestCertificate } from "../../support/pki.ts";
import { sigstoreEnvelope, sigstoreMessage } from "./entries/support.ts";
import {
  append,
  checkLogEntry,
  checkSignedTreeHead,
  fetchLogKey,
  hashedRekord,
  type LogEntryJson,
  type LogKey,
  leafHashOf,
  merkleRoot,
  onlyEntry,
  sha256,
  submit,
  treeSize,
} from "./rekor-support.ts";
import { getJson, postJson, type RunningLog, startLog } from "./support.ts";

const issuer = "https://oidc.signet.test";

let log: RunningLog;
let key: LogKey;
let treeId: string;
let alice: TestCertificate;

beforeAll(async () => {
  log = await startLog();
  key = await fetchLogKey(log.url);
  treeId = (await getJson(`${log.url}/api/v1/log`)).body.treeID;
  alice = await issueLeaf(log.ca, { email: "alice@signet.test", oidcIssuer: issuer });
});

afterAll(() => log.close());

const newArtifact = (): Buffer => randomBytes(32);

/** Every leaf hash of the log, read back entry by entry through GET ?logIndex=. */
async function allLeafHashes(): Promise<Buffer[]> {
  const size = await treeSize(log.url);
  const entries = await Promise.all(
    Array.from({ length: size }, (_, i) => getJson(`${log.url}/api/v1/log/entries?logIndex=${i}`)),
  );
  return entries.map(({ body }) => leafHashOf(Buffer.from(onlyEntry(body)[1].body, "base64")));
}

describe("POST /api/v1/log/entries", () => {
  it("answers 201 with Location, ETag and one entry whose SET, proof and checkpoint verify", async () => {
    const before = await treeSize(log.url);
    const artifact = newArtifact();
    const startedAt = Math.floor(Date.now() / 1000);
    const response = await submit(log.url, hashedRekord(artifact, alice));
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const [uuid, entry] = onlyEntry(response.body);
    expect(uuid).toMatch(/^[0-9a-f]{80}$/);
    expect(response.headers.get("location")).toBe(`/api/v1/log/entries/${uuid}`);
    expect(response.headers.get("etag")).toBe(uuid);

    const body = JSON.parse(checkLogEntry(uuid, entry, key, treeId).toString("utf8"));
    expect(body).toMatchObject({
      kind: "hashedrekord",
      apiVersion: "0.0.1",
      spec: { data: { hash: { algorithm: "sha256", value: sha256(artifact).toString("hex") } } },
    });
    expect(entry.logIndex).toBe(before);
    expect(entry.verification.inclusionProof.logIndex).toBe(before);
    expect(entry.verification.inclusionProof.treeSize).toBeGreaterThan(before);
    expect(entry.integratedTime).toBeGreaterThanOrEqual(startedAt - 1);
    expect(entry.integratedTime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
  });

  it("takes a bare PEM public key and stores it as PEM", async () => {
    const signer = generateKey();
    const proposed = sigstoreMessage(newArtifact(), signer, signer.publicKeyPem).proposed;
    const [uuid, entry] = await append(log.url, proposed);
    const body = JSON.parse(checkLogEntry(uuid, entry, key, treeId).toString("utf8"));
    const stored = Buffer.from(body.spec.signature.publicKey.content, "base64").toString();
    expect(stored).toBe(signer.publicKeyPem);
  });

  it.each(["dsse", "intoto"] as const)("appends a %s entry in its canonical form", async (kind) => {
    const payload = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", n: kind }));
    const proposed = sigstoreEnvelope(payload, alice.key, alice.pem, kind).proposed;
    const [uuid, entry] = await append(log.url, proposed);
    const body = JSON.parse(checkLogEntry(uuid, entry, key, treeId).toString("utf8"));
    expect(body.kind).toBe(kind);
    expect(body.apiVersion).toBe(kind === "dsse" ? "0.0.1" : "0.0.2");
  });

  it("answers a duplicate with 409, Rekor's Error body and the Location of the existing entry", async () => {
    const proposed = hashedRekord(newArtifact(), alice);
    const [uuid] = await append(log.url, proposed);
    const before = await treeSize(log.url);
    const response = await submit(log.url, proposed);
    expect(response.status).toBe(409);
    expect(response.headers.get("location")).toBe(`/api/v1/log/entries/${uuid}`);
    // Go clients generated from Rekor's spec decode this body as {code: integer, message}.
    expect(response.body).toEqual({ code: 409, message: expect.any(String), reason: "ENTRY_EXISTS" });
    expect(await treeSize(log.url)).toBe(before);
  });

  it("takes one of two identical entries sent at once and answers the other 409", async () => {
    const proposed = hashedRekord(newArtifact(), alice);
    const before = await treeSize(log.url);
    const responses = await Promise.all([submit(log.url, proposed), submit(log.url, proposed)]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    const created = responses.find((r) => r.status === 201);
    const refused = responses.find((r) => r.status === 409);
    expect(refused?.headers.get("location")).toBe(created?.headers.get("location"));
    expect(await treeSize(log.url)).toBe(before + 1);
  });
});

describe("GET /api/v1/log", () => {
  it("names the tree, its size and root, a signed tree head, and no inactive shards", async () => {
    await append(log.url, hashedRekord(newArtifact(), alice));
    const leaves = await allLeafHashes();
    const { status, body } = await getJson(`${log.url}/api/v1/log`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual([
      "inactiveShards",
      "rootHash",
      "signedTreeHead",
      "treeID",
      "treeSize",
    ]);
    expect(body.treeID).toBe(readFileSync(join(log.dataDir, "tree-id"), "utf8").trim());
    expect(body.treeSize).toBe(leaves.length);
    expect(body.rootHash).toBe(merkleRoot(leaves).toString("hex"));
    expect(checkSignedTreeHead(body.signedTreeHead, key, body.treeSize, body.rootHash)).toBe(
      `127.0.0.1 - ${treeId}`,
    );
    expect(body.inactiveShards).toEqual([]);
  });
});

describe("GET /api/v1/log/publicKey", () => {
  it("serves the log key as PEM, for the active tree by default or by its ID", async () => {
    const response = await fetch(`${log.url}/api/v1/log/publicKey`);
    expect(response.headers.get("content-type")).toMatch(/^application\/x-pem-file/);
    const pem = await response.text();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(key.spki.equals(log.service.identity.signer.spki)).toBe(true);
    const byTree = await fetch(`${log.url}/api/v1/log/publicKey?treeID=${treeId}`);
    expect(await byTree.text()).toBe(pem);
  });
});

describe("GET /api/v1/log/proof", () => {
  let leaves: Buffer[];

  beforeAll(async () => {
    while ((await treeSize(log.url)) < 11) await append(log.url, hashedRekord(newArtifact(), alice));
    leaves = await allLeafHashes();
  });

  const proof = async (query: string) => {
    const { status, body } = await getJson(`${log.url}/api/v1/log/proof?${query}`);
    expect(status).toBe(200);
    return body as { rootHash: string; hashes: string[] };
  };
  const rootAt = (size: number) => merkleRoot(leaves.slice(0, size));

  it("proves consistency between pairs of sizes, against roots computed from the leaves", async () => {
    const n = leaves.length;
    for (const [first, last] of [
      [1, n],
      [3, n],
      [4, 7],
      [5, 8],
      [6, n - 1],
      [n, n],
    ] as const) {
      const body = await proof(`firstSize=${first}&lastSize=${last}`);
      expect(body.rootHash).toBe(rootAt(last).toString("hex"));
      const hashes = body.hashes.map((h) => Buffer.from(h, "hex"));
      expect(verifyConsistency(first, last, hashes, rootAt(first), rootAt(last)), `${first}→${last}`).toBe(
        true,
      );
    }
  });

  it("defaults firstSize to 1", async () => {
    const n = leaves.length;
    expect(await proof(`lastSize=${n}`)).toEqual(await proof(`firstSize=1&lastSize=${n}`));
  });

  it("takes the tree ID of the active tree", async () => {
    const n = leaves.length;
    expect(await proof(`firstSize=2&lastSize=${n}&treeID=${treeId}`)).toEqual(
      await proof(`firstSize=2&lastSize=${n}`),
    );
  });
});

describe("reading entries", () => {
  let proposed: unknown;
  let uuid: string;
  let created: LogEntryJson;

  beforeAll(async () => {
    proposed = hashedRekord(newArtifact(), alice);
    [uuid, created] = await append(log.url, proposed);
    // Later entries move the head on: reads prove inclusion in the current tree.
    await append(log.url, hashedRekord(newArtifact(), alice));
  });

  const expectSameEntry = (body: unknown) => {
    const [readUuid, entry] = onlyEntry(body);
    expect(readUuid).toBe(uuid);
    checkLogEntry(readUuid, entry, key, treeId);
    expect({ ...entry, verification: undefined }).toEqual({ ...created, verification: undefined });
    expect(entry.verification.signedEntryTimestamp).toBe(created.verification.signedEntryTimestamp);
    return entry;
  };

  it("GET /api/v1/log/entries?logIndex= returns the entry with a proof up to the current head", async () => {
    const { status, body } = await getJson(`${log.url}/api/v1/log/entries?logIndex=${created.logIndex}`);
    expect(status).toBe(200);
    const entry = expectSameEntry(body);
    expect(entry.verification.inclusionProof.treeSize).toBe(await treeSize(log.url));
  });

  it.each([
    ["the 80-hex UUID", (u: string) => u],
    ["the bare 64-hex leaf hash", (u: string) => u.slice(16)],
    ["an upper-case UUID", (u: string) => u.toUpperCase()],
  ])("GET /api/v1/log/entries/{entryUUID} finds it by %s", async (_, form) => {
    const { status, body } = await getJson(`${log.url}/api/v1/log/entries/${form(uuid)}`);
    expect(status).toBe(200);
    expectSameEntry(body);
  });

  it("POST /api/v1/log/entries/retrieve finds it by UUID, by log index and by proposed entry", async () => {
    const retrieve = async (query: unknown) => {
      const { status, body } = await postJson(`${log.url}/api/v1/log/entries/retrieve`, query);
      expect(status).toBe(200);
      expect(Array.isArray(body)).toBe(true);
      return body as unknown[];
    };
    const unknownUuid = "0".repeat(80);
    for (const query of [
      { entryUUIDs: [uuid] },
      { entryUUIDs: [uuid.slice(16), unknownUuid] },
      { logIndexes: [created.logIndex] },
      { entries: [proposed] },
    ]) {
      const found = await retrieve(query);
      expect(found, JSON.stringify(query)).toHaveLength(1);
      expectSameEntry(found[0]);
    }
    const both = await retrieve({ entryUUIDs: [uuid], logIndexes: [0] });
    expect(both).toHaveLength(2);
    expect(await retrieve({ entryUUIDs: [unknownUuid] })).toEqual([]);
  });
});

describe("POST /api/v1/index/retrieve", () => {
  let carol: TestCertificate;
  let dave: TestCertificate;
  const artifacts = [newArtifact(), newArtifact(), newArtifact()];
  let uuids: string[];

  beforeAll(async () => {
    carol = await issueLeaf(log.ca, { email: "carol@signet.test", oidcIssuer: issuer });
    dave = await issueLeaf(log.ca, { email: "dave@signet.test", oidcIssuer: issuer });
    const signers = [carol, carol, dave];
    uuids = [];
    for (const [i, artifact] of artifacts.entries()) {
      uuids.push((await append(log.url, hashedRekord(artifact, signers[i] as TestCertificate)))[0]);
    }
  });

  const search = async (query: unknown): Promise<string[]> => {
    const { status, body } = await postJson(`${log.url}/api/v1/index/retrieve`, query);
    expect(status, JSON.stringify(body)).toBe(200);
    return [...(body as string[])].sort();
  };
  const hexOf = (i: number) => sha256(artifacts[i] as Buffer).toString("hex");
  const pick = (...indexes: number[]) => indexes.map((i) => uuids[i]).sort();

  it("finds entries by artifact hash, with or without the sha256: prefix, in any case", async () => {
    expect(await search({ hash: hexOf(0) })).toEqual(pick(0));
    expect(await search({ hash: `sha256:${hexOf(1)}` })).toEqual(pick(1));
    expect(await search({ hash: hexOf(2).toUpperCase() })).toEqual(pick(2));
    expect(await search({ hash: sha256("never logged").toString("hex") })).toEqual([]);
    // Rekor admits SHA-1 queries; nothing is indexed under SHA-1, so they find nothing.
    expect(await search({ hash: `sha1:${"a".repeat(40)}` })).toEqual([]);
  });

  it("finds entries by the signer's certificate or its public key", async () => {
    const content = Buffer.from(carol.pem).toString("base64");
    expect(await search({ publicKey: { format: "x509", content } })).toEqual(pick(0, 1));
    const keyContent = Buffer.from(dave.key.publicKeyPem).toString("base64");
    expect(await search({ publicKey: { format: "x509", content: keyContent } })).toEqual(pick(2));
  });

  it("finds entries by the email in the certificate, case-insensitively", async () => {
    expect(await search({ email: "carol@signet.test" })).toEqual(pick(0, 1));
    expect(await search({ email: "Dave@Signet.Test" })).toEqual(pick(2));
  });

  it("combines criteria with or (the default) and with and", async () => {
    expect(await search({ hash: hexOf(2), email: "carol@signet.test" })).toEqual(pick(0, 1, 2));
    expect(await search({ hash: hexOf(2), email: "carol@signet.test", operator: "or" })).toEqual(
      pick(0, 1, 2),
    );
    expect(await search({ hash: hexOf(1), email: "carol@signet.test", operator: "and" })).toEqual(pick(1));
    expect(await search({ hash: hexOf(2), email: "carol@signet.test", operator: "and" })).toEqual([]);
  });
});

describe("concurrent appends", () => {
  let fresh: RunningLog;

  beforeAll(async () => {
    fresh = await startLog();
  });

  afterAll(() => fresh.close());

  it("gives 50 parallel entries distinct indexes 0..49 under fewer checkpoints, all verifying", async () => {
    const freshKey = await fetchLogKey(fresh.url);
    const freshTree = (await getJson(`${fresh.url}/api/v1/log`)).body.treeID as string;
    const count = 50;
    const proposals = Array.from({ length: count }, () => hashedRekord(newArtifact(), alice));
    const responses = await Promise.all(proposals.map((p) => submit(fresh.url, p)));
    expect(responses.map((r) => r.status)).toEqual(Array(count).fill(201));

    const entries = responses.map((r) => onlyEntry(r.body));
    const indexes = entries.map(([, e]) => e.logIndex).sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: count }, (_, i) => i));
    const checkpoints = new Set(entries.map(([, e]) => e.verification.inclusionProof.checkpoint));
    expect(checkpoints.size).toBeLessThan(count);
    for (const [uuid, entry] of entries) checkLogEntry(uuid, entry, freshKey, freshTree);

    // Every checkpoint handed out is consistent with the final tree.
    const head = (await getJson(`${fresh.url}/api/v1/log`)).body;
    expect(head.treeSize).toBe(count);
    for (const [, entry] of entries) {
      const { treeSize: size, rootHash } = entry.verification.inclusionProof;
      const { body } = await getJson(`${fresh.url}/api/v1/log/proof?firstSize=${size}&lastSize=${count}`);
      const hashes = (body.hashes as string[]).map((h) => Buffer.from(h, "hex"));
      const roots = [Buffer.from(rootHash, "hex"), Buffer.from(head.rootHash, "hex")] as const;
      expect(verifyConsistency(size, count, hashes, ...roots)).toBe(true);
    }
  });
});
