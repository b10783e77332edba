import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../common/config.ts";
import type { ShardConfig } from "./config.ts";
import { openStorage } from "./storage/open.ts";
import type { LeafRecord, StoredCheckpoint } from "./storage/types.ts";
import { Tree, type TreeOptions } from "./tree.ts";

export interface Shard {
  treeId: string;
  /** The tree id as 16 hex digits: the prefix of this shard's entry UUIDs. */
  hexId: string;
  state: "active" | "frozen";
  tree: Tree;
  /** Global log index of this shard's first entry. */
  offset: number;
}

export interface ShardOptions extends Omit<TreeOptions, "signCheckpoint"> {
  /** Each shard's checkpoints name its own tree. */
  signCheckpoint: (treeId: string) => TreeOptions["signCheckpoint"];
}

export interface Located {
  shard: Shard;
  leaf: LeafRecord;
}

/**
 * The log's trees, as Rekor shards them: frozen shards stay readable, exactly one takes appends,
 * and `logIndex` counts across all of them in configuration order. Rotating is a configuration
 * change (freeze the active shard, add a new one) and a restart.
 */
export class ShardSet {
  readonly shards: Shard[];
  readonly active: Shard;

  private constructor(shards: Shard[]) {
    this.shards = shards;
    const active = shards.find((s) => s.state === "active");
    if (!active) throw new Error("no active shard");
    this.active = active;
  }

  static async open(configs: ShardConfig[], options: ShardOptions): Promise<ShardSet> {
    // The active shard comes last: its size is the only one still growing.
    const ordered = [
      ...configs.filter((c) => c.state === "frozen"),
      ...configs.filter((c) => c.state === "active"),
    ];
    const shards: Shard[] = [];
    let offset = 0;
    try {
      for (const config of ordered) {
        const tree = await Tree.open(await openStorage(config.storage, config.treeId), {
          ...options,
          signCheckpoint: options.signCheckpoint(config.treeId),
        });
        shards.push({
          treeId: config.treeId,
          hexId: hexTreeId(config.treeId),
          state: config.state,
          tree,
          offset,
        });
        if (config.state === "frozen") await requireStoredTree(tree, config.treeId);
        offset += (await tree.head()).size;
      }
    } catch (error) {
      await Promise.all(shards.map((s) => s.tree.close()));
      throw error;
    }
    return new ShardSet(shards);
  }

  uuidOf(shard: Shard, leaf: LeafRecord): string {
    return `${shard.hexId}${leaf.leafHash.toString("hex")}`;
  }

  byTreeId(treeId: string | undefined): Shard | undefined {
    return treeId === undefined ? this.active : this.shards.find((s) => s.treeId === treeId);
  }

  async atGlobalIndex(logIndex: number): Promise<Located | undefined> {
    for (const shard of [...this.shards].reverse()) {
      if (logIndex < shard.offset) continue;
      const leaf = await shard.tree.leafAt(logIndex - shard.offset);
      return leaf ? { shard, leaf } : undefined;
    }
    return undefined;
  }

  /** Finds an entry by its 80-hex UUID, or by a bare 64-hex leaf hash in any shard. */
  async byUuid(uuid: string): Promise<Located | undefined> {
    const id = uuid.toLowerCase();
    const hash = Buffer.from(id.slice(-64), "hex");
    const candidates =
      id.length === 80 ? this.shards.filter((s) => s.hexId === id.slice(0, 16)) : this.shards;
    for (const shard of candidates) {
      const [leaf] = await shard.tree.leavesByHash([hash]);
      if (leaf) return { shard, leaf };
    }
    return undefined;
  }

  /** Entries whose search keys match, as UUIDs, across every shard. */
  async search(key: string): Promise<string[]> {
    const found: string[] = [];
    for (const shard of this.shards) {
      for (const index of await shard.tree.search(key)) {
        const leaf = await shard.tree.leafAt(index);
        if (leaf) found.push(this.uuidOf(shard, leaf));
      }
    }
    return found;
  }

  async heads(): Promise<Array<{ shard: Shard; head: StoredCheckpoint }>> {
    return Promise.all(this.shards.map(async (shard) => ({ shard, head: await shard.tree.head() })));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.tree.close()));
  }
}

/**
 * A frozen shard is one that was active: its storage holds a signed tree. An empty one is a wrong
 * storage URL, and taking it as empty would renumber every later entry's global log index, which
 * SETs already signed.
 */
async function requireStoredTree(tree: Tree, treeId: string): Promise<void> {
  if ((await tree.storage.head()) === undefined)
    throw new ConfigError(`SIGNET_LOG_SHARDS: frozen shard ${treeId} has no tree in its storage`);
}

export function hexTreeId(treeId: string): string {
  return BigInt(treeId).toString(16).padStart(16, "0");
}

/**
 * Local mode: one active SQLite shard in the data directory, with a tree id chosen at random on
 * first start and kept, so entry UUIDs stay stable across restarts.
 */
export function localShards(dataDir: string): ShardConfig[] {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "tree-id");
  if (!existsSync(file)) {
    const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn || 1n;
    writeFileSync(file, `${id}\n`);
  }
  const treeId = readFileSync(file, "utf8").trim();
  return [{ treeId, storage: `sqlite:${join(dataDir, "log.db")}`, state: "active" }];
}
