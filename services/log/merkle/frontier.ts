// The compact range of the tree (RFC 9162 §2.1 subtrees of a power-of-two size, largest first)
// kept in memory, so appending costs O(batch + log n) hashes and never reads the tree back.
import { emptyRoot, nodeHash } from "../../common/merkle/hash.ts";
import type { StoredNode } from "../storage/types.ts";
import { foldSubtrees } from "./fold.ts";
import { compactRange } from "./plan.ts";
import type { ReadNodes } from "./proof.ts";

interface Subtree {
  level: number;
  hash: Buffer;
}

export class Frontier {
  #size: number;
  readonly #subtrees: Subtree[];

  private constructor(size: number, subtrees: Subtree[]) {
    this.#size = size;
    this.#subtrees = subtrees;
  }

  static empty(): Frontier {
    return new Frontier(0, []);
  }

  static async load(read: ReadNodes, size: number): Promise<Frontier> {
    const range = compactRange(size);
    const hashes = range.length === 0 ? [] : await read(range);
    return new Frontier(
      size,
      range.map(({ level }, i) => ({ level, hash: hashes[i] as Buffer })),
    );
  }

  get size(): number {
    return this.#size;
  }

  root(): Buffer {
    return this.#subtrees.length === 0 ? emptyRoot() : foldSubtrees(this.#subtrees.map((s) => s.hash));
  }

  /** An independent copy, so a batch can be computed and dropped if its commit fails. */
  clone(): Frontier {
    return new Frontier(this.#size, [...this.#subtrees]);
  }

  /** Adds leaves; returns every node of level >= 1 they complete, each once, and the new root. */
  append(leafHashes: readonly Buffer[]): { nodes: StoredNode[]; root: Buffer } {
    const nodes: StoredNode[] = [];
    for (const hash of leafHashes) {
      this.#subtrees.push({ level: 0, hash });
      this.#size += 1;
      this.#mergeCompleted(nodes);
    }
    return { nodes, root: this.root() };
  }

  #mergeCompleted(nodes: StoredNode[]): void {
    for (;;) {
      const right = this.#subtrees.at(-1);
      const left = this.#subtrees.at(-2);
      if (right === undefined || left === undefined || left.level !== right.level) return;
      const level = left.level + 1;
      const hash = nodeHash(left.hash, right.hash);
      this.#subtrees.splice(-2, 2, { level, hash });
      // The merged subtree ends at the current size, which is a multiple of 2^level.
      nodes.push({ level, index: this.#size / 2 ** level - 1, hash });
    }
  }
}
