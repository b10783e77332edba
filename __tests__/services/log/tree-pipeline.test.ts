// The sequencer's two-batch pipeline: the next batch is prepared (positions, SETs, checkpoint)
// while the one before it is written, and written only once that one has committed.
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../../services/log/storage/open.ts";
import type { AppendBatch, TreeStorage } from "../../../services/log/storage/types.ts";
import { Tree } from "../../../services/log/tree.ts";

/** Storage whose next append waits for `release`, then fails with `failure` if one is set. */
async function gatedStorage() {
  const storage = await openStorage("sqlite::memory:", "1");
  const gate = {
    release: () => {},
    held: false,
    failure: undefined as Error | undefined,
    written: [] as number[],
  };
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
        gate.held = true;
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

/** Appends that record each SET they sign as `text@index`; the first one's SET waits for `hold`. */
function appender(tree: Tree, hold: Promise<void>) {
  const signed: string[] = [];
  let first = true;
  const append = (text: string) => {
    const waits = first;
    first = false;
    return tree.append({
      value: Buffer.from(text),
      searchKeys: [],
      extra: async ({ index }) => {
        signed.push(`${text}@${index}`);
        if (waits) await hold;
        return Buffer.from(`set ${index}`);
      },
    });
  };
  return { append, signed };
}

function latch() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("Tree pipeline", () => {
  let tree: Tree | undefined;
  afterEach(() => tree?.close());

  it("signs the next batch while one is written, and answers a repeat of an entry in flight", async () => {
    const { gated, gate } = await gatedStorage();
    tree = await Tree.open(gated, { signCheckpoint });
    const signing = latch();
    const { append, signed } = appender(tree, signing.opened);
    const first = append("a");
    await until(() => signed.length === 1);
    // Queued while the first batch is being prepared: the next batch.
    const second = append("b");
    const again = append("a");
    signing.open();
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
    const signing = latch();
    const { append, signed } = appender(tree, signing.opened);
    const lost = append("a");
    await until(() => signed.length === 1);
    const kept = append("b");
    signing.open();
    await until(() => signed.length === 2);
    gate.failure = new Error("disk full");
    gate.release();
    await expect(lost).rejects.toThrow("disk full");
    const b = await kept;
    expect([b.leaf.index, b.leaf.extra?.toString(), b.checkpoint.size]).toEqual([0, "set 0", 1]);
    expect(signed).toEqual(["a@0", "b@1", "b@0"]);
    expect((await tree.leaves(0, 5)).map((leaf) => leaf.value.toString())).toEqual(["b"]);
  });

  it("gathers appends that arrive during a write into one batch", async () => {
    const { gated, gate } = await gatedStorage();
    tree = await Tree.open(gated, { signCheckpoint });
    const signing = latch();
    signing.open();
    const { append } = appender(tree, signing.opened);
    const first = append("first");
    await until(() => tree !== undefined && gate.held);
    const rest = Array.from({ length: 20 }, (_, i) => append(`later ${i}`));
    gate.release();
    const results = await Promise.all([first, ...rest]);
    expect(new Set(results.slice(1).map((r) => r.checkpoint.size))).toEqual(new Set([21]));
  });
});
