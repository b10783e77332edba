import { nodeHash } from "../../common/merkle/hash.ts";

/**
 * MTH of a range from the hashes of its complete subtrees, left to right: RFC 6962 §2.1 splits
 * at the largest power of two, which is the leftmost subtree, so the hashes fold from the right.
 */
export function foldSubtrees(hashes: readonly Buffer[]): Buffer {
  const last = hashes.at(-1);
  if (last === undefined) throw new RangeError("cannot fold an empty list of subtrees");
  let hash = last;
  for (let i = hashes.length - 2; i >= 0; i -= 1) hash = nodeHash(hashes[i] as Buffer, hash);
  return hash;
}
