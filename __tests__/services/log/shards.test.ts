/**
 * Shard rotation as issue 3 has it: "a config change and a restart, and loses nothing". A log
 * runs with one SQLite shard, stops, and comes back with that shard frozen and a new one active.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency } from "../../../services/common/merkle/verify.ts";
import { issueLeaf, type TestCertificate } from "../../support/pki.ts";
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
  submit,
  treePrefix,
} from "./rekor-support.ts";
import { getJson, postJson, type RunningLog, startLog } from "./support.ts";

const OLD = "1001";
const NEW = "7000000000000000002";
const N = 5;
const M = 4;

const dataDir = mkdtempSync(join(tmpdir(), "signet-shards-"));
const shard = (treeId: string, state: "active" | "frozen") => ({
  treeId,
  storage: `sqlite:${join(dataDir, `tree-${treeId}.db`)}`,
  state,
});
const start = (shards: ReturnType<typeof shard>[]) =>
  startLog({ SIGNET_LOG_DATA_DIR: dataDir, SIGNET_LOG_SHARDS: JSON.stringify(shards) });

interface Logged {
  proposed: unknown;
  uuid: string;
  entry: LogEntryJson;
}

let log: RunningLog;
let key: LogKey;
let alice: TestCertificate;
let olds: Logged[];
let news: Logged[];
/** GET /api/v1/log from before the rotation. */
let frozenHead: { treeSize: number; rootHash: string; signedTreeHead: string; treeID: string };

async function appendMany(count: number): Promise<Logged[]> {
  const logged: Logged[] = [];
  for (let i = 0; i < count; i++) {
    const proposed = hashedRekord(randomBytes(32), alice);
    const [uuid, entry] = await append(log.url, proposed);
    logged.push({ proposed, uuid, entry });
  }
  return logged;
}

beforeAll(async () => {
  log = await start([shard(OLD, "active")]);
  alice = await issueLeaf(log.ca, { email: "alice@signet.test" });
  olds = await appendMany(N);
  frozenHead = (await getJson(`${log.url}/api/v1/log`)).body;
  await log.close();

  log = await start([shard(OLD, "frozen"), shard(NEW, "active")]);
  key = await fetchLogKey(log.url);
  news = await appendMany(M);
});

afterAll(() => log.close());

describe("after rotating to a new shard", () => {
  it("was one shard of N entries before", () => {
    expect(frozenHead).toMatchObject({ treeID: OLD, treeSize: N, inactiveShards: [] });
    expect(olds.map((o) => o.entry.logIndex)).toEqual([0, 1, 2, 3, 4]);
  });

  it("still serves every old entry by UUID, bare leaf hash and log index, with valid proofs", async () => {
    for (const old of olds) {
      for (const path of [old.uuid, old.uuid.slice(16)].map((u) => `/api/v1/log/entries/${u}`)) {
        const { status, body } = await getJson(`${log.url}${path}`);
        expect(status).toBe(200);
        const [uuid, entry] = onlyEntry(body);
        expect(uuid).toBe(old.uuid);
        checkLogEntry(uuid, entry, key, OLD);
        expect(entry.logIndex).toBe(old.entry.logIndex);
        expect(entry.verification.signedEntryTimestamp).toBe(old.entry.verification.signedEntryTimestamp);
        expect(entry.verification.inclusionProof.checkpoint).toBe(frozenHead.signedTreeHead);
      }
      const byIndex = await getJson(`${log.url}/api/v1/log/entries?logIndex=${old.entry.logIndex}`);
      expect(onlyEntry(byIndex.body)[0]).toBe(old.uuid);
    }
  });

  it("numbers new entries from N on, under the new tree's UUID prefix", async () => {
    expect(news.map((n) => n.entry.logIndex)).toEqual([N, N + 1, N + 2, N + 3]);
    expect(news.map((n) => n.entry.verification.inclusionProof.logIndex)).toEqual([0, 1, 2, 3]);
    for (const { uuid, entry } of news) {
      expect(uuid.slice(0, 16)).toBe(treePrefix(NEW));
      checkLogEntry(uuid, entry, key, NEW);
      const byIndex = await getJson(`${log.url}/api/v1/log/entries?logIndex=${entry.logIndex}`);
      const [readUuid, read] = onlyEntry(byIndex.body);
      expect(readUuid).toBe(uuid);
      checkLogEntry(readUuid, read, key, NEW);
    }
    const past = await getJson(`${log.url}/api/v1/log/entries?logIndex=${N + M}`);
    expect(past.status).toBe(404);
  });

  it("lists the frozen shard, unchanged, in inactiveShards", async () => {
    const { body } = await getJson(`${log.url}/api/v1/log`);
    expect(body).toMatchObject({ treeID: NEW, treeSize: M });
    expect(body.inactiveShards).toEqual([
      {
        treeID: OLD,
        treeSize: N,
        rootHash: frozenHead.rootHash,
        signedTreeHead: frozenHead.signedTreeHead,
      },
    ]);
    const [inactive] = body.inactiveShards;
    expect(checkSignedTreeHead(inactive.signedTreeHead, key, N, inactive.rootHash)).toBe(
      `127.0.0.1 - ${OLD}`,
    );
    expect(checkSignedTreeHead(body.signedTreeHead, key, M, body.rootHash)).toBe(`127.0.0.1 - ${NEW}`);
  });

  it("proves consistency within the frozen shard by its tree ID", async () => {
    const leaves = olds.map((o) => leafHashOf(Buffer.from(o.entry.body, "base64")));
    expect(merkleRoot(leaves).toString("hex")).toBe(frozenHead.rootHash);
    for (const first of [1, 2, 4, N]) {
      const { status, body } = await getJson(
        `${log.url}/api/v1/log/proof?treeID=${OLD}&firstSize=${first}&lastSize=${N}`,
      );
      expect(status).toBe(200);
      expect(body.rootHash).toBe(frozenHead.rootHash);
      const hashes = (body.hashes as string[]).map((h) => Buffer.from(h, "hex"));
      const roots = [merkleRoot(leaves.slice(0, first)), merkleRoot(leaves)] as const;
      expect(verifyConsistency(first, N, hashes, ...roots)).toBe(true);
    }
    const beyond = await getJson(`${log.url}/api/v1/log/proof?treeID=${OLD}&lastSize=${N + 1}`);
    expect(beyond.status).toBe(400);
    const key = await fetch(`${log.url}/api/v1/log/publicKey?treeID=${OLD}`);
    expect(key.status).toBe(200);
  });

  it("does not find an entry under the other shard's prefix", async () => {
    const [old] = olds as [Logged];
    const [fresh] = news as [Logged];
    const swapped = [`${treePrefix(NEW)}${old.uuid.slice(16)}`, `${treePrefix(OLD)}${fresh.uuid.slice(16)}`];
    for (const uuid of swapped) {
      expect((await getJson(`${log.url}/api/v1/log/entries/${uuid}`)).status).toBe(404);
    }
  });

  it("never appends to the frozen shard, even an entry it already holds", async () => {
    const [old] = olds as [Logged];
    const response = await submit(log.url, old.proposed);
    // Rekor deduplicates within a tree only: a replay after rotation goes into the active shard.
    expect(response.status).toBe(201);
    const [uuid, entry] = onlyEntry(response.body);
    expect(uuid).toBe(`${treePrefix(NEW)}${old.uuid.slice(16)}`);
    expect(entry.logIndex).toBe(N + M);
    news.push({ proposed: old.proposed, uuid, entry });
    const { body } = await getJson(`${log.url}/api/v1/log`);
    expect(body.inactiveShards[0].signedTreeHead).toBe(frozenHead.signedTreeHead);
  });

  it("searches and retrieves across both shards", async () => {
    const found = await postJson(`${log.url}/api/v1/index/retrieve`, { email: "alice@signet.test" });
    expect([...found.body].sort()).toEqual([...olds, ...news].map((l) => l.uuid).sort());
    const retrieved = await postJson(`${log.url}/api/v1/log/entries/retrieve`, {
      logIndexes: [0, N - 1, N, N + M],
    });
    expect(retrieved.body.map((e: unknown) => onlyEntry(e)[0])).toEqual(
      [olds[0], olds[N - 1], news[0], news[M]].map((l) => l?.uuid),
    );
  });

  it("refuses to start with a frozen shard whose storage holds no tree (a wrong path)", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "signet-shards-"));
    const shards = [
      { ...shard(OLD, "frozen"), storage: `sqlite:${join(elsewhere, "typo.db")}` },
      { ...shard(NEW, "active"), storage: `sqlite:${join(elsewhere, "new.db")}` },
    ];
    await expect(
      startLog({ SIGNET_LOG_DATA_DIR: elsewhere, SIGNET_LOG_SHARDS: JSON.stringify(shards) }),
    ).rejects.toThrow(`frozen shard ${OLD} has no tree in its storage`);
  });

  it("loses nothing across another restart, whatever order the configuration lists the shards in", async () => {
    const before = (await getJson(`${log.url}/api/v1/log`)).body;
    await log.close();
    log = await start([shard(NEW, "active"), shard(OLD, "frozen")]);
    expect((await getJson(`${log.url}/api/v1/log`)).body).toEqual(before);
    for (const { uuid, entry } of [...olds, ...news]) {
      const { body } = await getJson(`${log.url}/api/v1/log/entries?logIndex=${entry.logIndex}`);
      const [readUuid, read] = onlyEntry(body);
      expect(readUuid).toBe(uuid);
      checkLogEntry(readUuid, read, key, uuid.startsWith(treePrefix(OLD)) ? OLD : NEW);
    }
  });
});
