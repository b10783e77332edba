import type { AppendBatch } from "./types.ts";

/**
 * Refuses a batch that would corrupt the tree: leaves must continue the tree without gaps and the
 * checkpoint must cover exactly them. Such a batch is a sequencer bug, never bad client input.
 */
export function checkBatch(batch: AppendBatch): void {
  batch.leaves.forEach((leaf, i) => {
    if (leaf.index !== batch.expectedSize + i) {
      throw new Error(`leaf ${leaf.index} does not continue a tree of size ${batch.expectedSize + i}`);
    }
  });
  const size = batch.expectedSize + batch.leaves.length;
  if (batch.checkpoint.size !== size) {
    throw new Error(`checkpoint size ${batch.checkpoint.size} does not match the tree size ${size}`);
  }
}
