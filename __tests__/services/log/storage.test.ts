// One conformance suite for every storage driver, as Tessera runs one program against each.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { leafHash } from "../../../services/common/merkle/hash.ts";
import { verifyInclusion } from "../../../services/common/merkle/verify.ts";
import { Frontier } from "../../../services/log/merkle/frontier.ts";
import { compactRange } from "../../../services/log/merkle/plan.ts";
import { inclusionProof, rootOf } from "../../../services/log/merkle/proof.ts";
import { migrations } from "../../../services/log/storage/migrations.ts";
import { openStorage } from "../../../services/log/storage/open.ts";
import { type AppendBatch, StaleTreeError, type TreeStorage } from "../../../services/log/storage/types.ts";
import { startPostgres } from "../../support/postgres.ts";

interface Database {
  /** Opens one tree of the same database every time. */
  open(treeId: string): Promise<TreeStorage>;
  appliedMigrations(): Promise<number[]>;
  stop(): Promise<void>;
}

const T0 = 1_750_000_000_000;

/** Builds batches the way the sequencer does: real leaf hashes, nodes and root from a Frontier. */
class Writer {
  frontier = Frontier.empty();
  timestamp = T0;

  batch(values: string[], keys: (value: string) => string[] = () => []): AppendBatch {
    const start = this.frontier.size;
    const leaves = values.map((text, i) => ({
      index: start + i,
      leafHash: leafHash(Buffer.from(text)),
      value: Buffer.from(text),
      extra: i % 2 === 0 ? null : Buffer.from(`extra for ${text}`),
      integratedTime: T0 + start + i,
    }));
    const next = this.frontier.clone();
    const { nodes, root } = next.append(leaves.map((leaf) => leaf.leafHash));
    const size = next.size;
    this.timestamp += 1;
    return {
      expectedSize: start,
      leaves,
      nodes,
      searchKeys: leaves.flatMap((leaf, i) =>
        keys(values[i] as string).map((key) => ({ key, index: leaf.index })),
      ),
      checkpoint: { size, rootHash: root, timestamp: this.timestamp, signed: `checkpoint ${size}\n` },
    };
  }

  async append(
    storage: TreeStorage,
    values: string[],
    keys?: (value: string) => string[],
  ): Promise<AppendBatch> {
    const batch = this.batch(values, keys);
    await storage.append(batch);
    this.frontier.append(batch.leaves.map((leaf) => leaf.leafHash));
    return batch;
  }
}

const values = (from: number, to: number, tag = "entry") =>
  Array.from({ length: to - from }, (_, i) => `${tag} ${from + i}`);

function conformance(name: string, start: () => Promise<Database>): void {
  describe(`${name} storage`, () => {
    let database: Database | undefined;
    const opened: TreeStorage[] = [];
    const open = async (treeId = `tree-${randomUUID()}`) => {
      if (database === undefined) throw new Error("database did not start");
      const storage = await database.open(treeId);
      opened.push(storage);
      return storage;
    };

    beforeAll(async () => {
      database = await start();
    }, 120_000);
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    });
    afterAll(async () => {
      await database?.stop();
    });

    it("starts empty", async () => {
      const storage = await open();
      expect(await storage.head()).toBeUndefined();
      expect(await storage.leafAt(0)).toBeUndefined();
      expect(await storage.leaves(0, 10)).toEqual([]);
      expect(await storage.leavesByHash([leafHash(Buffer.from("x"))])).toEqual([]);
      expect(await storage.search("anything")).toEqual([]);
      expect(await storage.nodes([])).toEqual([]);
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it("appends batches and serves head, nodes and proofs that verify", async () => {
      const storage = await open();
      const writer = new Writer();
      for (const [from, to] of [
        [0, 1],
        [1, 7],
        [7, 7],
        [7, 33],
      ] as const) {
        const batch = await writer.append(storage, values(from, to));
        expect(await storage.head()).toEqual(batch.checkpoint);
      }
      const read = (ids: Parameters<TreeStorage["nodes"]>[0]) => storage.nodes(ids);
      const root = writer.frontier.root();
      expect((await rootOf(read, 33)).equals(root)).toBe(true);
      for (const index of [0, 5, 16, 31, 32]) {
        const proof = await inclusionProof(read, index, 33);
        expect(verifyInclusion(index, 33, leafHash(Buffer.from(`entry ${index}`)), proof, root)).toBe(true);
      }
      expect((await Frontier.load(read, 33)).root().equals(root)).toBe(true);
    });

    it("keeps the latest of several checkpoints of one size as head", async () => {
      const storage = await open();
      const writer = new Writer();
      await writer.append(storage, values(0, 3));
      const resigned = await writer.append(storage, []);
      expect(await storage.head()).toEqual(resigned.checkpoint);
    });

    it("reads nodes in the order asked and throws when one is missing", async () => {
      const storage = await open();
      const writer = new Writer();
      const batch = await writer.append(storage, values(0, 6));
      const level2 = batch.nodes.find((node) => node.level === 2);
      const ids = [
        { level: 0, index: 5 },
        { level: 2, index: 0 },
        { level: 1, index: 2 },
        { level: 0, index: 0 },
      ];
      const hashes = await storage.nodes(ids);
      expect(hashes[0]?.equals(batch.leaves[5]?.leafHash as Buffer)).toBe(true);
      expect(hashes[1]?.equals(level2?.hash as Buffer)).toBe(true);
      expect(hashes[3]?.equals(batch.leaves[0]?.leafHash as Buffer)).toBe(true);
      await expect(storage.nodes([{ level: 0, index: 6 }])).rejects.toThrow();
      await expect(
        storage.nodes([
          { level: 0, index: 1 },
          { level: 1, index: 3 },
        ]),
      ).rejects.toThrow();
      await expect(storage.nodes([{ level: 3, index: 0 }])).rejects.toThrow();
    });

    it("returns leaves by index, by range and by hash with their extra data", async () => {
      const storage = await open();
      const writer = new Writer();
      const { leaves } = await writer.append(storage, values(0, 12));
      expect(await storage.leafAt(3)).toEqual(leaves[3]);
      expect((await storage.leafAt(3))?.extra?.toString()).toBe("extra for entry 3");
      expect((await storage.leafAt(4))?.extra).toBeNull();
      expect(await storage.leafAt(12)).toBeUndefined();
      expect(await storage.leaves(4, 9)).toEqual(leaves.slice(4, 9));
      expect(await storage.leaves(10, 50)).toEqual(leaves.slice(10));
      const wanted = [leaves[9], leaves[2]].map((leaf) => leaf?.leafHash as Buffer);
      const found = await storage.leavesByHash([...wanted, leafHash(Buffer.from("never logged"))]);
      expect(found).toEqual([leaves[2], leaves[9]]);
    });

    it("indexes search keys across batches, ascending and without duplicates", async () => {
      const storage = await open();
      const writer = new Writer();
      const keys = (value: string) => {
        const n = Number(value.split(" ")[1]);
        return [n % 2 === 0 ? "even" : "odd", "all", "all", `own:${n}`];
      };
      await writer.append(storage, values(0, 5), keys);
      await writer.append(storage, values(5, 9), keys);
      expect(await storage.search("even")).toEqual([0, 2, 4, 6, 8]);
      expect(await storage.search("all")).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await storage.search("own:7")).toEqual([7]);
      expect(await storage.search("Even")).toEqual([]);
    });

    it("refuses a batch computed on another size and writes nothing", async () => {
      const storage = await open();
      const writer = new Writer();
      await writer.append(storage, values(0, 4));
      const before = await storage.head();
      for (const expectedSize of [3, 5]) {
        const stale = { ...writer.batch(values(4, 6)), expectedSize };
        stale.leaves = stale.leaves.map((leaf, i) => ({ ...leaf, index: expectedSize + i }));
        stale.checkpoint = { ...stale.checkpoint, size: expectedSize + 2 };
        await expect(storage.append(stale)).rejects.toBeInstanceOf(StaleTreeError);
      }
      expect(await storage.head()).toEqual(before);
      expect(await storage.leaves(0, 10)).toHaveLength(4);
    });

    it("lets exactly one of two writers racing on the same size win", async () => {
      const treeId = `race-${name}`;
      const [first, second] = [await open(treeId), await open(treeId)];
      const results = await Promise.allSettled([
        new Writer().append(first, values(0, 3, "first")),
        new Writer().append(second, values(0, 5, "second")),
      ]);
      const failures = results.filter((result) => result.status === "rejected");
      expect(failures).toHaveLength(1);
      expect((failures[0] as PromiseRejectedResult).reason).toBeInstanceOf(StaleTreeError);
      const size = (await first.head())?.size;
      expect([3, 5]).toContain(size);
      expect(await second.leaves(0, 10)).toHaveLength(size as number);
    });

    it("writes nothing of a batch that repeats a leaf hash", async () => {
      const storage = await open();
      const writer = new Writer();
      await writer.append(storage, values(0, 3), () => ["key"]);
      const before = await storage.head();
      for (const repeated of [
        ["entry 9", "entry 1", "entry 10"],
        ["entry 9", "entry 10", "entry 9"],
      ]) {
        const batch = writer.batch(repeated, () => ["key"]);
        await expect(storage.append(batch)).rejects.toThrow();
        expect(await storage.head()).toEqual(before);
        expect(await storage.leaves(0, 10)).toHaveLength(3);
        expect(await storage.search("key")).toEqual([0, 1, 2]);
        await expect(storage.nodes([{ level: 1, index: 1 }])).rejects.toThrow();
      }
      await writer.append(storage, values(3, 5));
      expect((await storage.head())?.size).toBe(5);
    });

    it("refuses a batch that does not continue the tree", async () => {
      const storage = await open();
      const writer = new Writer();
      const gap = writer.batch(values(0, 2));
      gap.leaves = gap.leaves.map((leaf) => ({ ...leaf, index: leaf.index + 1 }));
      await expect(storage.append(gap)).rejects.toThrow(/does not continue/);
      const wrongCheckpoint = writer.batch(values(0, 2));
      wrongCheckpoint.checkpoint = { ...wrongCheckpoint.checkpoint, size: 3 };
      await expect(storage.append(wrongCheckpoint)).rejects.toThrow(/checkpoint size/);
      expect(await storage.head()).toBeUndefined();
    });

    it("keeps two trees in one database apart", async () => {
      const [left, right] = [await open(), await open()];
      const [leftWriter, rightWriter] = [new Writer(), new Writer()];
      await leftWriter.append(left, values(0, 5, "left"), () => ["shared"]);
      await rightWriter.append(right, values(0, 2, "right"), () => ["shared"]);
      await rightWriter.append(right, values(0, 3, "left").slice(2), () => ["shared"]);
      expect((await left.head())?.size).toBe(5);
      expect((await right.head())?.size).toBe(3);
      expect((await right.leafAt(0))?.value.toString()).toBe("right 0");
      expect(await left.search("shared")).toEqual([0, 1, 2, 3, 4]);
      expect(await right.search("shared")).toEqual([0, 1, 2]);
      const [inLeft] = await left.leavesByHash([leafHash(Buffer.from("left 2"))]);
      const [inRight] = await right.leavesByHash([leafHash(Buffer.from("left 2"))]);
      expect([inLeft?.index, inRight?.index]).toEqual([2, 2]);
      expect((await left.nodes([{ level: 1, index: 0 }]))[0]).not.toEqual(
        (await right.nodes([{ level: 1, index: 0 }]))[0],
      );
    });

    it("keeps everything across close and reopen, and migrates only once", async () => {
      const treeId = `reopen-${name}`;
      const writer = new Writer();
      const first = await open(treeId);
      await writer.append(first, values(0, 10), () => ["k"]);
      const head = await first.head();
      await first.close();
      for (let n = 0; n < 3; n += 1) {
        const again = await open(treeId);
        expect(await again.head()).toEqual(head);
        expect(await again.search("k")).toHaveLength(10);
        expect(await again.nodes(compactRange(10))).toHaveLength(2);
        await again.close();
      }
      expect(await database?.appliedMigrations()).toEqual(migrations.map((migration) => migration.version));
      const reopened = await open(treeId);
      await writer.append(reopened, values(10, 20));
      expect((await reopened.head())?.rootHash.equals(writer.frontier.root())).toBe(true);
    });

    it("appends a 1,000-leaf batch in one transaction", async () => {
      const storage = await open();
      const writer = new Writer();
      await writer.append(storage, values(0, 1000), (value) => [value]);
      expect((await storage.head())?.size).toBe(1000);
      expect(await storage.search("entry 999")).toEqual([999]);
      expect((await storage.leaves(0, 1000)).map((leaf) => leaf.index)).toEqual([...Array(1000).keys()]);
    });
  });
}

conformance("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "signet-sqlite-"));
  const file = join(dir, "nested", "log.db");
  return {
    open: (treeId) => openStorage(`sqlite:${file}`, treeId),
    appliedMigrations: async () => {
      const db = new DatabaseSync(file, { readOnly: true });
      const rows = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
      db.close();
      return rows.map((row) => Number(row.version));
    },
    stop: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

conformance("PostgreSQL", async () => {
  const server = await startPostgres();
  return {
    open: (treeId) => openStorage(server.url, treeId),
    appliedMigrations: async () => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query("SELECT version FROM schema_migrations ORDER BY version");
      await client.end();
      return rows.map((row) => Number(row.version));
    },
    stop: () => server.stop(),
  };
});

describe("openStorage", () => {
  it("takes a plain file path or an in-memory SQLite database, and refuses an empty one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-open-"));
    try {
      for (const url of [join(dir, "a", "b", "plain.db"), "sqlite::memory:"]) {
        const storage = await openStorage(url, "t");
        await new Writer().append(storage, values(0, 2));
        expect((await storage.head())?.size).toBe(2);
        await storage.close();
      }
      await expect(openStorage("sqlite:", "t")).rejects.toThrow(/names no SQLite file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
