import type { NodeId, StoredNode } from "./storage/types.ts";

/**
 * Recently written node hashes, and upper nodes read for proofs. Every append is answered with an
 * inclusion proof whose nodes the batch just wrote or sit on the tree's right edge, so most proofs
 * read nothing. A stored node never changes, so an entry can only be missing, never stale; only
 * committed nodes go in. Two generations bound the memory: when the young one fills up, the old
 * one is dropped.
 */
export class NodeCache {
  static readonly generationSize = 16_384;
  /** Nodes over at least 256 leaves: a few thousand in a tree of a million. */
  static readonly sharedLevel = 8;
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
