import { leafHash } from "../common/merkle/hash.ts";
import { Frontier } from "./merkle/frontier.ts";
import { consistencyProof, inclusionProof, rootOf } from "./merkle/proof.ts";
import { NodeCache } from "./node-cache.ts";
import {
  type AppendBatch,
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
  /** Commits refused because another writer had moved the tree (StaleTreeError). */
  stale: number;
  resolve: (appended: Appended) => void;
  reject: (error: unknown) => void;
}

/** A batch ready to write: positions assigned, SETs and checkpoint signed. */
interface Prepared {
  batch: Pending[];
  fresh: Array<{ pending: Pending; leaf: LeafRecord }>;
  /** Already stored, or earlier in this batch, or in the batch being written before this one. */
  repeats: Array<{ pending: Pending; leaf: LeafRecord }>;
  write: AppendBatch | undefined;
  started: number;
}

/** A prepared batch on its way to storage; settles to its checkpoint or the write's error. */
interface Writing {
  prepared: Prepared;
  outcome: Promise<{ checkpoint: StoredCheckpoint } | { error: unknown }>;
}

// How often a batch is rebuilt after another writer moved the tree before it gives up.
const STALE_RETRIES = 5;

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
      this.queue.push({ request, hash: leafHash(request.value), stale: 0, resolve, reject });
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
      const id = ids[i] as NodeId;
      // Proofs of random entries share only their upper nodes; caching the lower ones read for
      // them would churn the cache and the heap for nothing.
      if (id.level >= NodeCache.sharedLevel) this.cache.set({ ...id, hash: stored });
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
  // queued after that look must start a new drain, not wait for a finished one. Under load two
  // batches are in hand: the appends that queued while one batch was prepared are prepared
  // (positions, signatures) while it is written, so signing and fsync overlap. A batch is written
  // only once the one before it has committed.
  private async drain(): Promise<void> {
    let writing: Writing | undefined;
    try {
      while (this.queue.length > 0 || writing) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        if (batch.length === 0) {
          // Nothing queued: appends arriving now gather into one batch while this write lasts.
          await this.finish(writing);
          writing = undefined;
          continue;
        }
        let prepared: Prepared;
        try {
          if (this.stale) {
            // A reload must see every write already sent.
            await this.finish(writing);
            writing = undefined;
            await this.reload();
          }
          prepared = await this.prepare(batch, writing?.prepared);
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          this.stale = true;
          continue;
        }
        // The next write starts the moment the one before it commits, before that batch's appends
        // are answered: answering takes the event loop for a while, and the writer would idle.
        let next: Writing | undefined;
        const before = await this.finish(writing, () => {
          next = this.write(prepared);
        });
        writing = undefined;
        if (before.committed) writing = next ?? this.write(prepared);
        // Built on a batch that did not commit: queue it again, behind that batch's retries.
        else this.queue.splice(before.requeued, 0, ...batch);
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async reload(): Promise<void> {
    const stored = await this.storage.head();
    this.frontier = await Frontier.load((ids) => this.storage.nodes(ids), stored?.size ?? 0);
    if (stored) this.latest = stored;
    this.stale = false;
  }

  /**
   * Assigns positions after the tree as this replica knows it (including the batch being written,
   * `before`) and signs. Moves the frontier: if anything later fails, the tree must reload.
   */
  private async prepare(batch: Pending[], before: Prepared | undefined): Promise<Prepared> {
    const started = performance.now();
    const existing = await this.storage.leavesByHash(batch.map((p) => p.hash));
    const known = new Map(existing.map((leaf) => [leaf.leafHash.toString("hex"), leaf]));
    for (const { leaf } of before?.fresh ?? []) known.set(leaf.leafHash.toString("hex"), leaf);
    const fresh: Prepared["fresh"] = [];
    const repeats: Prepared["repeats"] = [];
    const integratedTime = Date.now();
    const expectedSize = this.frontier.size;
    for (const pending of batch) {
      const key = pending.hash.toString("hex");
      const stored = known.get(key);
      if (stored) {
        repeats.push({ pending, leaf: stored });
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
    if (fresh.length === 0) return { batch, fresh, repeats, write: undefined, started };
    const { nodes, root } = this.frontier.append(fresh.map((f) => f.leaf.leafHash));
    const size = expectedSize + fresh.length;
    // Each extra (a SET) depends only on its leaf's position: sign them and the checkpoint at once.
    const [signed] = await Promise.all([
      this.options.signCheckpoint(size, root, integratedTime),
      ...fresh.map(async ({ pending, leaf }) => {
        leaf.extra = (await pending.request.extra?.({ index: leaf.index, integratedTime })) ?? null;
      }),
    ]);
    const write = {
      expectedSize,
      leaves: fresh.map((f) => f.leaf),
      nodes,
      searchKeys: fresh.flatMap((f) =>
        f.pending.request.searchKeys.map((key) => ({ key, index: f.leaf.index })),
      ),
      checkpoint: { size, rootHash: root, timestamp: integratedTime, signed },
    };
    return { batch, fresh, repeats, write, started };
  }

  /** Starts writing a prepared batch; a batch with nothing new is covered by the latest checkpoint. */
  private write(prepared: Prepared): Writing {
    const { write } = prepared;
    const outcome = (async () => {
      if (!write) return { checkpoint: await this.head() };
      await this.storage.append(write);
      return { checkpoint: write.checkpoint };
    })().catch((error: unknown) => ({ error }));
    return { prepared, outcome };
  }

  /**
   * Waits for a batch's write and answers its appends. A batch another writer got ahead of goes
   * back to the front of the queue, to be rebuilt after a reload; any other failure rejects it.
   */
  private async finish(
    writing: Writing | undefined,
    onCommitted?: () => void,
  ): Promise<{ committed: boolean; requeued: number }> {
    if (!writing) return { committed: true, requeued: 0 };
    const outcome = await writing.outcome;
    const { batch, fresh, repeats, write, started } = writing.prepared;
    if ("error" in outcome) {
      this.stale = true;
      const { error } = outcome;
      const retry = error instanceof StaleTreeError ? batch.filter((p) => ++p.stale <= STALE_RETRIES) : [];
      for (const pending of batch) if (!retry.includes(pending)) pending.reject(error);
      this.queue.unshift(...retry);
      return { committed: false, requeued: retry.length };
    }
    const { checkpoint } = outcome;
    for (const { leaf } of fresh) this.cache.set({ level: 0, index: leaf.index, hash: leaf.leafHash });
    for (const node of write?.nodes ?? []) this.cache.set(node);
    if (checkpoint.size >= this.latest.size) this.latest = checkpoint;
    onCommitted?.();
    for (const { pending, leaf } of fresh) pending.resolve({ leaf, checkpoint, duplicate: false });
    for (const { pending, leaf } of repeats) pending.resolve({ leaf, checkpoint, duplicate: true });
    this.options.onBatch?.({
      entries: fresh.length,
      duplicates: repeats.length,
      size: checkpoint.size,
      milliseconds: performance.now() - started,
    });
    return { committed: true, requeued: 0 };
  }
}
