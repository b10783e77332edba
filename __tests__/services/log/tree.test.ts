// The sequencer over real storage: batching, duplicates, two replicas on one database, failures
// inside a batch, and shutdown. Roots are checked against an RFC 6962 reference written here.
import { createHash, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency, verifyInclusion } from "../../../services/common/merkle/verify.ts";
import { openStorage } from "../../../services/log/storage/open.ts";
import type { StoredCheckpoint, TreeStorage } from "../../../services/log/storage/types.ts";
import { type Appended, Tree, TreeClosedError, type TreeOptions } from "../../../services/log/tree.ts";
import { startPostgres } from "../../support/postgres.ts";

const sha256 = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
// RFC 6962 §2.1: leaf and interior hashes, and the Merkle Tree Hash of a list of leaves.
const leafHashOf = (value: Buffer) => sha256(Buffer.of(0), value);
function referenceRoot(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return sha256();
  if (hashes.length === 1) return hashes[0] as Buffer;
  let split = 1;
  while (split * 2 < hashes.length) split *= 2;
  return sha256(Buffer.of(1), referenceRoot(hashes.slice(0, split)), referenceRoot(hashes.slice(split)));
}

/** Signs checkpoints as text naming what was signed, and counts the signatures. */
class CountingSigner {
  calls: Array<{ size: number; root: Buffer }> = [];
  failing: Error | undefined;

  readonly sign: TreeOptions["signCheckpoint"] = async (size, root, timestamp) => {
    if (this.failing) throw this.failing;
    this.calls.push({ size, root });
    return `${size} ${root.toString("hex")} ${timestamp}\n`;
  };
}

const entry = (text: string) => ({ value: Buffer.from(text), searchKeys: [`key:${text}`] });
const texts = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag} ${i}`);
// An append that never settles is a lost request; the bound only turns a hang into a failure.
const settled = <T>(promise: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} never settled`)), 5_000).unref(),
    ),
  ]);

async function expectProvenAt(tree: Tree, appended: Appended): Promise<void> {
  const { leaf, checkpoint } = appended;
  expect(checkpoint.size).toBeGreaterThan(leaf.index);
  expect(checkpoint.signed).toBe(
    `${checkpoint.size} ${checkpoint.rootHash.toString("hex")} ${checkpoint.timestamp}\n`,
  );
  const proof = await tree.inclusionProof(leaf.index, checkpoint.size);
  expect(
    verifyInclusion(leaf.index, checkpoint.size, leafHashOf(leaf.value), proof, checkpoint.rootHash),
  ).toBe(true);
}

async function expectConsistentWith(tree: Tree, earlier: StoredCheckpoint): Promise<void> {
  const head = await tree.head();
  const proof = await tree.consistencyProof(earlier.size, head.size);
  expect(verifyConsistency(earlier.size, head.size, proof, earlier.rootHash, head.rootHash)).toBe(true);
}

/** The stored tree holds exactly `values`, in order, under a head whose root is theirs. */
async function expectStored(tree: Tree, values: string[]): Promise<void> {
  const head = await tree.head();
  expect((await tree.storage.head())?.size).toBe(head.size);
  const leaves = await tree.leaves(0, head.size + 1);
  expect(leaves.map((leaf) => leaf.value.toString())).toEqual(values);
  expect(leaves.map((leaf) => leaf.index)).toEqual(values.map((_, i) => i));
  expect(head.rootHash).toEqual(referenceRoot(leaves.map((leaf) => leafHashOf(leaf.value))));
}

interface Database {
  open(treeId: string): Promise<TreeStorage>;
  stop(): Promise<void>;
}

const databases: Array<[string, () => Promise<Database>]> = [
  [
    "SQLite",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "signet-tree-"));
      return {
        open: (treeId) => openStorage(`sqlite:${join(dir, "log.db")}`, treeId),
        stop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    "PostgreSQL",
    async () => {
      const server = await startPostgres();
      return { open: (treeId) => openStorage(server.url, treeId), stop: () => server.stop() };
    },
  ],
];

describe.each(databases)("Tree over %s", (_name, start) => {
  let database: Database | undefined;
  let opened: Tree[] = [];

  beforeAll(async () => {
    database = await start();
  }, 60_000);
  afterAll(() => database?.stop());
  afterEach(async () => {
    await Promise.allSettled(opened.map((tree) => tree.close()));
    opened = [];
  });

  const newTreeId = () => String(randomInt(1, 2 ** 47));
  async function openTree(treeId = newTreeId(), options: Partial<TreeOptions> = {}) {
    if (!database) throw new Error("database did not start");
    const signer = new CountingSigner();
    const tree = await Tree.open(await database.open(treeId), { signCheckpoint: signer.sign, ...options });
    opened.push(tree);
    return { tree, signer, treeId };
  }

  it("batches concurrent appends: distinct indexes, fewer signatures, each proven at its checkpoint", async () => {
    const { tree, signer } = await openTree();
    signer.calls = [];
    const values = texts("batched", 64);
    const results = await Promise.all(values.map((v) => tree.append(entry(v))));

    expect(new Set(results.map((r) => r.leaf.index)).size).toBe(values.length);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(signer.calls.length).toBeLessThan(values.length);
    for (const result of results) await expectProvenAt(tree, result);
    expect((await tree.search("key:batched 7"))[0]).toBe(results[7]?.leaf.index);
    await expectStored(
      tree,
      [...results].sort((a, b) => a.leaf.index - b.leaf.index).map((r) => r.leaf.value.toString()),
    );
  });

  it("never puts more than maxBatch entries under one checkpoint", async () => {
    const batches: number[] = [];
    const { tree } = await openTree(undefined, { maxBatch: 5, onBatch: (r) => batches.push(r.entries) });
    const results = await Promise.all(texts("small", 23).map((v) => tree.append(entry(v))));
    expect(Math.max(...batches)).toBeLessThanOrEqual(5);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(23);
    for (const result of results) await expectProvenAt(tree, result);
  });

  it("stores a value appended twice in a row once; the second append gets the stored leaf", async () => {
    const { tree } = await openTree();
    const first = await tree.append(entry("twice"));
    const second = await tree.append(entry("twice"));
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.leaf).toEqual(await tree.leafAt(first.leaf.index));
    expect(second.checkpoint.size).toBeGreaterThan(second.leaf.index);
    expect(await tree.search("key:twice")).toEqual([first.leaf.index]);
    await expectStored(tree, ["twice"]);
  });

  it("stores a value appended twice in one batch once, and signs its extra once", async () => {
    const { tree } = await openTree();
    let extras = 0;
    const withExtra = (text: string) => ({
      ...entry(text),
      extra: async () => {
        extras++;
        return Buffer.from(`extra of ${text}`);
      },
    });
    // The first append starts a batch on its own; the two that follow wait for the next one together.
    const [, a, b] = await Promise.all(["before", "same", "same"].map((v) => tree.append(withExtra(v))));
    if (!a || !b) throw new Error("appends missing");
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(a.leaf).toEqual(b.leaf);
    expect(b.leaf).toEqual(await tree.leafAt(b.leaf.index));
    expect(b.leaf.extra?.toString()).toBe("extra of same");
    expect(extras).toBe(2);
    for (const result of [a, b]) await expectProvenAt(tree, result);
    await expectStored(tree, ["before", "same"]);
  });

  it("wakes up for an append that arrives just as a batch finishes", async () => {
    const { tree } = await openTree();
    const values: string[] = [];
    // Each step lets the caller's continuation run a few microtasks later, so one of them lands
    // between the sequencer's last look at its queue and the end of its drain.
    for (let hops = 0; hops < 12; hops++) {
      await tree.append(entry(`lead ${hops}`));
      for (let i = 0; i < hops; i++) await null;
      await settled(tree.append(entry(`follow ${hops}`)), `the append after ${hops} microtasks`);
      values.push(`lead ${hops}`, `follow ${hops}`);
    }
    await expectStored(tree, values);
  });

  it("rejects the batch whose extra callback fails, writes none of it, and stays usable", async () => {
    const { tree } = await openTree();
    await tree.append(entry("kept"));
    const failure = new Error("SET signer unavailable");
    const failing = { ...entry("refused"), extra: () => Promise.reject(failure) };
    const outcomes = await Promise.allSettled([tree.append(entry("beside")), tree.append(failing)]);
    expect(outcomes[1]).toEqual({ status: "rejected", reason: failure });

    const accepted = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const rejected = ["beside", "refused"].filter((_, i) => outcomes[i]?.status === "rejected");
    for (const text of rejected) {
      expect(await tree.leavesByHash([leafHashOf(Buffer.from(text))])).toEqual([]);
      expect(await tree.search(`key:${text}`)).toEqual([]);
    }
    const next = await settled(tree.append(entry("after")), "the append after a failed batch");
    expect(next.leaf.index).toBe(1 + accepted.length);
    await expectProvenAt(tree, next);
    await expectStored(tree, ["kept", ...accepted.map((a) => a.leaf.value.toString()), "after"]);
  });

  it("rejects the batch whose checkpoint signature fails, writes none of it, and stays usable", async () => {
    const { tree, signer } = await openTree();
    const kept = await tree.append(entry("kept"));
    signer.failing = new Error("KMS unavailable");
    const outcomes = await Promise.allSettled(
      ["lost 1", "lost 2", "lost 3"].map((v) => tree.append(entry(v))),
    );
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    signer.failing = undefined;

    for (const text of ["lost 1", "lost 2", "lost 3"]) expect(await tree.search(`key:${text}`)).toEqual([]);
    const next = await settled(tree.append(entry("after")), "the append after a failed signature");
    expect(next.leaf.index).toBe(1);
    await expectProvenAt(tree, next);
    await expectConsistentWith(tree, kept.checkpoint);
    // A refused value was never stored, so it is not a duplicate when it comes back.
    expect((await tree.append(entry("lost 2"))).duplicate).toBe(false);
    await expectStored(tree, ["kept", "after", "lost 2"]);
  });

  it("rejects appends while storage is down without an unhandled rejection, and recovers", async () => {
    const { tree } = await openTree();
    const storage = tree.storage;
    await tree.append(entry("before"));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    const outage = new Error("database unreachable");
    const originals = { append: storage.append, head: storage.head, leavesByHash: storage.leavesByHash };
    const down = () => Promise.reject(outage);
    Object.assign(storage, { append: down, head: down, leavesByHash: down });
    try {
      const outcomes = await Promise.allSettled(
        ["during 1", "during 2"].map((v) => settled(tree.append(entry(v)), `append of ${v}`)),
      );
      expect(outcomes.map((o) => (o.status === "rejected" ? o.reason : "stored"))).toEqual([outage, outage]);
      Object.assign(storage, originals);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      Object.assign(storage, originals);
      process.off("unhandledRejection", record);
    }
    const next = await settled(tree.append(entry("after")), "the append after the outage");
    expect(next.leaf.index).toBe(1);
    await expectStored(tree, ["before", "after"]);
  });

  it("lets queued appends finish on close and refuses appends after it", async () => {
    const { tree, treeId } = await openTree();
    const values = texts("queued", 20);
    const appends = values.map((v) => tree.append(entry(v)));
    const closing = tree.close();
    await expect(tree.append(entry("late"))).rejects.toBeInstanceOf(TreeClosedError);
    const results = await Promise.all(appends);
    await closing;

    const { tree: reopened } = await openTree(treeId);
    expect((await reopened.head()).size).toBe(values.length);
    for (const result of results) await expectProvenAt(reopened, result);
    expect(await reopened.leavesByHash([leafHashOf(Buffer.from("late"))])).toEqual([]);
  });

  it("keeps one dense tree when two replicas append to the same tree", async () => {
    const treeId = newTreeId();
    const replicas = [(await openTree(treeId)).tree, (await openTree(treeId)).tree];
    const results: Appended[] = [];
    for (let round = 0; round < 8; round++) {
      const appends = replicas.flatMap((replica, r) =>
        texts(`round ${round} replica ${r}`, 5).map((v) => replica.append(entry(v))),
      );
      results.push(...(await Promise.all(appends)));
    }
    // The same value through both replicas at once: one leaf, the other append sees it.
    const both = await Promise.all(replicas.map((replica) => replica.append(entry("through both"))));
    expect(both.map((b) => b.duplicate).sort()).toEqual([false, true]);
    expect(both[0]?.leaf.index).toBe(both[1]?.leaf.index);
    results.push(...both.filter((b) => !b.duplicate));

    const indexes = results.map((r) => r.leaf.index).sort((a, b) => a - b);
    expect(indexes).toEqual(results.map((_, i) => i));
    const [headA, headB] = await Promise.all(replicas.map((replica) => replica.head()));
    expect(headA).toEqual(headB);
    expect(headA?.size).toBe(results.length);
    const [first] = replicas as [Tree, Tree];
    for (const result of results) {
      await expectProvenAt(first, result);
      await expectConsistentWith(first, result.checkpoint);
    }
    const inOrder = [...results].sort((a, b) => a.leaf.index - b.leaf.index);
    await expectStored(
      first,
      inOrder.map((r) => r.leaf.value.toString()),
    );
  });
});
