import { leafHash } from "../common/merkle/hash.ts";
import { Frontier } from "./merkle/frontier.ts";
import { consistencyProof, inclusionProof, rootOf } from "./merkle/proof.ts";
import {
  type LeafRecord,
  type NodeId,
  StaleTreeError,
  type StoredCheckpoint,
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
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;

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
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  /** The latest checkpoint in storage (another replica may have advanced the tree). */
  async head(): Promise<StoredCheckpoint> {
    const stored = await this.storage.head();
    if (stored && stored.size > this.latest.size) this.latest = stored;
    return this.latest;
  }

  inclusionProof(index: number, size: number): Promise<Buffer[]> {
    return inclusionProof((ids) => this.storage.nodes(ids), index, size);
  }

  consistencyProof(first: number, second: number): Promise<Buffer[]> {
    return consistencyProof((ids) => this.storage.nodes(ids), first, second);
  }

  /** The root hash at an earlier size, from stored nodes. */
  rootAt(size: number): Promise<Buffer> {
    return rootOf((ids) => this.storage.nodes(ids), size);
  }

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

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      try {
        await this.commitWithRetry(batch);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
        await this.reload();
      }
    }
  }

  private async commitWithRetry(batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.commit(batch);
      } catch (error) {
        if (!(error instanceof StaleTreeError) || attempt >= 5) throw error;
        await this.reload();
      }
    }
  }

  private async reload(): Promise<void> {
    const stored = await this.storage.head();
    this.frontier = await Frontier.load((ids) => this.storage.nodes(ids), stored?.size ?? 0);
    if (stored) this.latest = stored;
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
      const extra = (await pending.request.extra?.({ index, integratedTime })) ?? null;
      const leaf = { index, leafHash: pending.hash, value: pending.request.value, extra, integratedTime };
      known.set(key, leaf);
      fresh.push({ pending, leaf });
    }

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
    this.latest = checkpoint;
    return checkpoint;
  }
}
