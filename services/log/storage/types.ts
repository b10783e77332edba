// The storage contract every driver fulfils (SQLite, PostgreSQL); the Merkle engine and the
// sequencer see nothing else.

/** Complete subtree over leaves [index * 2^level, (index + 1) * 2^level). */
export interface NodeId {
  level: number;
  index: number;
}

export interface StoredNode extends NodeId {
  hash: Buffer;
}

export interface LeafRecord {
  /** Position in this tree (0-based). */
  index: number;
  /** RFC 6962 leaf hash of value. */
  leafHash: Buffer;
  /** Bytes hashed into the tree (Rekor canonical body; CT MerkleTreeLeaf). */
  value: Buffer;
  /** Opaque data served beside the leaf (SET; CT chain). */
  extra: Buffer | null;
  /** Unix milliseconds at sequencing. */
  integratedTime: number;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Buffer;
  /** Unix milliseconds. */
  timestamp: number;
  signed: string;
}

export interface AppendBatch {
  /** Tree size the batch was computed on. */
  expectedSize: number;
  leaves: LeafRecord[];
  /** Every node completed by the batch with level >= 1. */
  nodes: StoredNode[];
  searchKeys: Array<{ key: string; index: number }>;
  checkpoint: StoredCheckpoint;
}

/** The stored size differs from the batch's expectedSize: another writer appended first. */
export class StaleTreeError extends Error {
  readonly storedSize: number;

  constructor(expectedSize: number, storedSize: number) {
    super(`tree has ${storedSize} leaves, batch expected ${expectedSize}`);
    this.name = "StaleTreeError";
    this.storedSize = storedSize;
  }
}

export interface TreeStorage {
  head(): Promise<StoredCheckpoint | undefined>;
  /** One transaction, all or nothing. */
  append(batch: AppendBatch): Promise<void>;
  /** Level 0 = leaf hashes; same order as asked; throws if one is missing. */
  nodes(ids: readonly NodeId[]): Promise<Buffer[]>;
  leafAt(index: number): Promise<LeafRecord | undefined>;
  /** [start, end), ascending. */
  leaves(start: number, end: number): Promise<LeafRecord[]>;
  /** The stored leaves among these hashes, ascending by index. */
  leavesByHash(hashes: readonly Buffer[]): Promise<LeafRecord[]>;
  /** Leaf indexes, ascending. */
  search(key: string): Promise<number[]>;
  /** Readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
