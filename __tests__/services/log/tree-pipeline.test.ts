// The sequencer's two-batch pipeline: the next batch is prepared (positions, SETs, checkpoint)
// while the one before it is written, and written only once that one has committed.
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../../services/log/storage/open.ts";
import type { AppendBatch, TreeStorage } from "../../../services/log/storage/types.ts";
import { Tree } from "../../../services/log/tree.ts";

/** Storage whose next append waits for `release`, then fails with `failure` if one is set. */
async function gatedStorage() {
  const storage = await openStorage("sqlite::memory:", "1");
  const gate = { release: () => {}, failure: undefined as Error | undefined, written: [] as number[] };
  let held: Promise<void> | undefined = new Promise((resolve) => {
    gate.release = resolve;
  });
  const gated: TreeStorage = {
    head: () => storage.head(),
    nodes: (ids) => storage.nodes(ids),
    leafAt: (index) => storage.leafAt(index),
    leaves: (start, end) => storage.leaves(start, end),
    leavesByHash: (hashes) => storage.leavesByHash(hashes),
    search: (key) => storage.search(key),
    ping: () => storage.ping(),
    close: () => storage.close(),
    append: async (batch: AppendBatch) => {
      const wait = held;
      held = undefined;
      if (wait) {
        await wait;
        if (gate.failure) throw gate.failure;
      }
      await storage.append(batch);
      gate.written.push(...batch.leaves.map((leaf) => leaf.index));
    },
  };
  return { gated, gate };
}

const signCheckpoint = async (size: number) => `checkpoint ${size}\n`;
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe("Tree pipeline", () => {
  let tree: Tree | undefined;
  afterEach(() => tree?.close());

  it("signs the next batch while one is written, and answers a repeat of an entry in flight", async () => {
    const { gated, gate } = await gatedStorage();
    tree = await Tree.open(gated, { signCheckpoint });
    const signed: string[] = [];
    const append = (text: string) =>
      tree?.append({
        value: Buffer.from(text),
        searchKeys: [],
        extra: async ({ index }) => {
          signed.push(`${text}@${index}`);
          return Buffer.from(`set ${index}`);
        },
      }) as ReturnType<Tree["append"]>;
    const first = append("a");
    await until(() => signed.length === 1);
    const second = append("b");
    const again = append("a");
    // "b" is signed at its final position while "a" is still being written.
    await until(() => signed.length === 2);
    expect(signed).toEqual(["a@0", "b@1"]);
    expect(gate.written).toEqual([]);
    gate.release();
    const [a, b, repeat] = await Promise.all([first, second, again]);
    expect([a.leaf.index, a.duplicate, b.leaf.index, b.duplicate]).toEqual([0, false, 1, false]);
    expect([repeat.leaf.index, repeat.duplicate, repeat.leaf.extra?.toString()]).toEqual([0, true, "set 0"]);
    expect(repeat.checkpoint.size).toBe(2);
    expect(gate.written).toEqual([0, 1]);
  });

  it("rebuilds a batch prepared on top of a write that failed, at the position it really gets", async () => {
    const { gated, gate } = await gatedStorage();
    tree = await Tree.open(gated, { signCheckpoint });
    const extras: string[] = [];
    const append = (text: string) =>
      tree?.append({
        value: Buffer.from(text),
        searchKeys: [],
        extra: async ({ index }) => {
          extras.push(`${text}@${index}`);
          return Buffer.from(`set ${index}`);
        },
      }) as ReturnType<Tree["append"]>;
    const lost = append("a");
    await until(() => extras.length === 1);
    const kept = append("b");
    await until(() => extras.length === 2);
    gate.failure = new Error("disk full");
    gate.release();
    await expect(lost).rejects.toThrow("disk full");
    const b = await kept;
    expect([b.leaf.index, b.leaf.extra?.toString(), b.checkpoint.size]).toEqual([0, "set 0", 1]);
    expect(extras).toEqual(["a@0", "b@1", "b@0"]);
    expect((await tree.leaves(0, 5)).map((leaf) => leaf.value.toString())).toEqual(["b"]);
  });
});
