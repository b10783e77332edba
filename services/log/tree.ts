import { leafHash } from "../common/merkle/hash.ts";
import { Frontier } from "./merkle/frontier.ts";
import { consistencyProof, inclusionProof, rootOf } from "./merkle/proof.ts";
import {
  type LeafRecord,
  type NodeId,
  StaleTreeError,
  type StoredCheckpoint,
  type StoredNode,
  type TreeStorage,
} from "./storage/types.ts";

export interface AppendRequest {
  value: Buffer;
  searchKeys: string[];
  /** Data stored beside the leaf once its position is known (Rekor's SET, a CT chain). */
  extra?: (leaf: { index: number; integratedTime: number }) => Promise<Buffer | null>;
}

export interface Appended {
  leaf: LeafRecord;
  checkpoint: StoredCheckpoint;
  duplicate: boolean;
}

export interface BatchReport {
  entries: number;
  duplicates: number;
  size: number;
  milliseconds: number;
}

export interface TreeOptions {
  signCheckpoint: (size: number, root: Buffer, timestamp: number) => Promise<string>;
  /** Most entries committed in one transaction under one checkpoint signature. */
  maxBatch?: number;
  onBatch?: (report: BatchReport) => void;
}

interface Pending {
  request: AppendRequest;
  hash: Buffer;
  resolve: (appended: Appended) => void;
  reject: (error: unknown) => void;
}

export class TreeClosedError extends Error {
  override readonly name = "TreeClosedError";
}

/**
 * The sequencer of one Merkle tree. Concurrent appends are grouped: while one batch commits, the
 * next accumulates, so many entries share one transaction and one checkpoint signature. An
 * append resolves only after its entry is durably committed together with a signed checkpoint
 * covering it. The database is the single sequencer: a batch built on a stale view of the tree
 * (another replica appended) is refused by storage and rebuilt.
 */
export class Tree {
  readonly storage: TreeStorage;
  private readonly options: Required<Omit<TreeOptions, "onBatch">> & Pick<TreeOptions, "onBatch">;
  private frontier: Frontier;
  private latest: StoredCheckpoint;
  private readonly cache = new NodeCache();
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  /** A batch failed after the frontier may have moved: reload from storage before the next one. */
  private stale = false;

  private constructor(
    storage: TreeStorage,
    options: TreeOptions,
    frontier: Frontier,
    latest: StoredCheckpoint,
  ) {
    this.storage = storage;
    this.options = { maxBatch: 1024, ...options };
    this.frontier = frontier;
    this.latest = latest;
  }

  static async open(storage: TreeStorage, options: TreeOptions): Promise<Tree> {
    const read = (ids: readonly NodeId[]) => storage.nodes(ids);
    const stored = await storage.head();
    const frontier = await Frontier.load(read, stored?.size ?? 0);
    const latest = stored ?? (await Tree.emptyCheckpoint(frontier, options));
    return new Tree(storage, options, frontier, latest);
  }

  // An empty tree still has a signed checkpoint, so clients and monitors can start from size 0.
  private static async emptyCheckpoint(frontier: Frontier, options: TreeOptions): Promise<StoredCheckpoint> {
    const timestamp = Date.now();
    const rootHash = frontier.root();
    return { size: 0, rootHash, timestamp, signed: await options.signCheckpoint(0, rootHash, timestamp) };
  }

  append(request: AppendRequest): Promise<Appended> {
    if (this.closed) return Promise.reject(new TreeClosedError("the log is shutting down"));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, hash: leafHash(request.value), resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** The latest checkpoint in storage (another replica may have advanced the tree). */
  async head(): Promise<StoredCheckpoint> {
    const stored = await this.storage.head();
    if (stored && stored.size > this.latest.size) this.latest = stored;
    return this.latest;
  }

  inclusionProof(index: number, size: number): Promise<Buffer[]> {
    return inclusionProof(this.readNodes, index, size);
  }

  consistencyProof(first: number, second: number): Promise<Buffer[]> {
    return consistencyProof(this.readNodes, first, second);
  }

  /** The root hash at an earlier size, from stored nodes. */
  rootAt(size: number): Promise<Buffer> {
    return rootOf(this.readNodes, size);
  }

  /** Stored nodes, from the cache where it has them: every append answers with a proof. */
  private readonly readNodes = async (ids: readonly NodeId[]): Promise<Buffer[]> => {
    const hashes = ids.map((id) => this.cache.get(id));
    const missing = ids.filter((_, i) => hashes[i] === undefined);
    if (missing.length === 0) return hashes as Buffer[];
    const read = await this.storage.nodes(missing);
    let next = 0;
    return hashes.map((hash, i) => {
      if (hash !== undefined) return hash;
      const stored = read[next++] as Buffer;
      this.cache.set({ ...(ids[i] as NodeId), hash: stored });
      return stored;
    });
  };

  leafAt(index: number): Promise<LeafRecord | undefined> {
    return this.storage.leafAt(index);
  }

  leaves(start: number, end: number): Promise<LeafRecord[]> {
    return this.storage.leaves(start, end);
  }

  leavesByHash(hashes: readonly Buffer[]): Promise<LeafRecord[]> {
    return this.storage.leavesByHash(hashes);
  }

  search(key: string): Promise<number[]> {
    return this.storage.search(key);
  }

  /** Stops taking appends, lets queued ones commit, then closes storage. */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
    await this.storage.close();
  }

  // Never rejects. `draining` is cleared in the same turn as the last look at the queue: an append
  // queued after that look must start a new drain, not wait for a finished one.
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        try {
          await this.commitWithRetry(batch);
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          this.stale = true;
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async commitWithRetry(batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.stale) await this.reload();
        return await this.commit(batch);
      } catch (error) {
        if (!(error instanceof StaleTreeError) || attempt >= 5) throw error;
        this.stale = true;
      }
    }
  }

  private async reload(): Promise<void> {
    const stored = await this.storage.head();
    this.frontier = await Frontier.load((ids) => this.storage.nodes(ids), stored?.size ?? 0);
    if (stored) this.latest = stored;
    this.stale = false;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const existing = await this.storage.leavesByHash(batch.map((p) => p.hash));
    const known = new Map(existing.map((leaf) => [leaf.leafHash.toString("hex"), leaf]));
    const fresh: Array<{ pending: Pending; leaf: LeafRecord }> = [];
    const repeats: Array<{ pending: Pending; key: string }> = [];
    const integratedTime = Date.now();
    const expectedSize = this.frontier.size;

    for (const pending of batch) {
      const key = pending.hash.toString("hex");
      if (known.has(key)) {
        repeats.push({ pending, key });
        continue;
      }
      const index = expectedSize + fresh.length;
      const leaf: LeafRecord = {
        index,
        leafHash: pending.hash,
        value: pending.request.value,
        extra: null,
        integratedTime,
      };
      known.set(key, leaf);
      fresh.push({ pending, leaf });
    }
    // Each extra (a SET signature) depends only on its leaf's position: sign them all at once.
    await Promise.all(
      fresh.map(async ({ pending, leaf }) => {
        leaf.extra = (await pending.request.extra?.({ index: leaf.index, integratedTime })) ?? null;
      }),
    );

    const checkpoint =
      fresh.length > 0 ? await this.extend(fresh, expectedSize, integratedTime) : await this.head();
    for (const { pending, leaf } of fresh) pending.resolve({ leaf, checkpoint, duplicate: false });
    for (const { pending, key } of repeats) {
      pending.resolve({ leaf: known.get(key) as LeafRecord, checkpoint, duplicate: true });
    }
    this.options.onBatch?.({
      entries: fresh.length,
      duplicates: repeats.length,
      size: checkpoint.size,
      milliseconds: performance.now() - started,
    });
  }

  private async extend(
    fresh: Array<{ pending: Pending; leaf: LeafRecord }>,
    expectedSize: number,
    timestamp: number,
  ): Promise<StoredCheckpoint> {
    const { nodes, root } = this.frontier.append(fresh.map((f) => f.leaf.leafHash));
    const size = expectedSize + fresh.length;
    const checkpoint = {
      size,
      rootHash: root,
      timestamp,
      signed: await this.options.signCheckpoint(size, root, timestamp),
    };
    // On failure the frontier has moved past storage; the caller reloads it before reuse.
    await this.storage.append({
      expectedSize,
      leaves: fresh.map((f) => f.leaf),
      nodes,
      searchKeys: fresh.flatMap((f) =>
        f.pending.request.searchKeys.map((key) => ({ key, index: f.leaf.index })),
      ),
      checkpoint,
    });
    for (const { leaf } of fresh) this.cache.set({ level: 0, index: leaf.index, hash: leaf.leafHash });
    for (const node of nodes) this.cache.set(node);
    this.latest = checkpoint;
    return checkpoint;
  }
}

/**
 * Recently written or read node hashes. Every append is answered with an inclusion proof whose
 * nodes the batch just wrote or sit on the tree's right edge, so most proofs read nothing. A
 * stored node never changes, so an entry can only be missing, never stale; only committed nodes
 * go in. Two generations bound the memory: when the young one fills up, the old one is dropped.
 */
class NodeCache {
  static readonly generationSize = 16_384;
  private young = new Map<number, Buffer>();
  private old = new Map<number, Buffer>();

  get(id: NodeId): Buffer | undefined {
    const key = NodeCache.key(id);
    if (key === undefined) return undefined;
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) this.put(key, old);
    return old;
  }

  set(node: StoredNode): void {
    const key = NodeCache.key(node);
    if (key !== undefined) this.put(key, node.hash);
  }

  private put(key: number, hash: Buffer): void {
    if (this.young.size >= NodeCache.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, hash);
  }

  // One exact number per node while index < 2^47 (levels stay below 64); larger trees are not cached.
  private static key({ level, index }: NodeId): number | undefined {
    return index < 2 ** 47 ? index * 64 + level : undefined;
  }
}
