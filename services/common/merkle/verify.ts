// Proof verification as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) state it.
// The RFC works on bits of fn/sn; tree sizes can exceed 2^32, so we use arithmetic instead of
// JavaScript's 32-bit bitwise operators. Malformed input never throws: it fails verification.
import { emptyRoot, HASH_SIZE, nodeHash } from "./hash.ts";

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const isHash = (hash: Buffer): boolean => Buffer.isBuffer(hash) && hash.length === HASH_SIZE;
const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** The root an inclusion proof leads to, or undefined when the proof cannot fit the tree. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Buffer,
  proof: readonly Buffer[],
): Buffer | undefined {
  if (!isSize(index) || !isSize(size) || index >= size || !isHash(leafHash) || !proof.every(isHash)) {
    return undefined;
  }
  let fn = index;
  let sn = size - 1;
  let root = leafHash;
  for (const sibling of proof) {
    if (sn === 0) return undefined;
    if (isOdd(fn) || fn === sn) {
      root = nodeHash(sibling, root);
      // Skip the levels where this node is the last one and has no right sibling.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      root = nodeHash(root, sibling);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? root : undefined;
}

export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  return computed !== undefined && isHash(root) && computed.equals(root);
}

export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Buffer[],
  root1: Buffer,
  root2: Buffer,
): boolean {
  if (!isSize(size1) || !isSize(size2) || size1 > size2) return false;
  if (!isHash(root1) || !isHash(root2) || !proof.every(isHash)) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  // Every tree extends the empty tree; nothing needs proving.
  if (size1 === 0) return proof.length === 0 && root1.equals(emptyRoot());
  if (proof.length === 0) return false;
  return checkConsistencyPath(size1, size2, proof, root1, root2);
}

function checkConsistencyPath(
  size1: number,
  size2: number,
  proof: readonly Buffer[],
  root1: Buffer,
  root2: Buffer,
): boolean {
  // When size1 is a power of two its root is a node of the new tree that the proof omits.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let firstRoot = path[0] as Buffer;
  let secondRoot = firstRoot;
  for (const node of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      firstRoot = nodeHash(node, firstRoot);
      secondRoot = nodeHash(node, secondRoot);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      secondRoot = nodeHash(secondRoot, node);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && firstRoot.equals(root1) && secondRoot.equals(root2);
}
