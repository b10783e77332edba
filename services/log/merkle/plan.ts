// Which stored complete subtrees a proof needs. RFC 6962 §2.1.1–2.1.2 define proofs recursively
// over MTH(D[a:b]); every such range [a, b) starts at a multiple of a power of two at least b - a,
// so its hash is the right-to-left fold of the complete subtrees in its binary decomposition.
// Each proof element is one group of those subtrees. Sizes may exceed 2^32: no bitwise operators.
import type { NodeId } from "../storage/types.ts";

/** A range of leaves [start, start + size) whose MTH the proof needs. */
interface Span {
  start: number;
  size: number;
}

/** The complete subtrees covering [0, size), left to right (largest first). */
export function compactRange(size: number): NodeId[] {
  requireSize(size, "size");
  return subtrees({ start: 0, size });
}

/** RFC 6962 §2.1.1 PATH(index, D[0:size]), leaf level first. */
export function inclusionPlan(index: number, size: number): NodeId[][] {
  requireSize(size, "size");
  requireSize(index, "index");
  if (index >= size) throw new RangeError(`index ${index} is outside a tree of size ${size}`);
  return path(index, { start: 0, size }).map(subtrees);
}

/** RFC 6962 §2.1.2 PROOF(first, D[0:second]); empty when the sizes are equal. */
export function consistencyPlan(first: number, second: number): NodeId[][] {
  requireSize(first, "first size");
  requireSize(second, "second size");
  if (first < 1) throw new RangeError("first size must be at least 1");
  if (first > second) throw new RangeError(`first size ${first} exceeds second size ${second}`);
  return subproof(first, { start: 0, size: second }, true).map(subtrees);
}

// Both walks go from the root down and collect the sibling of each step; read leaf level first,
// that list reversed is the recursion of RFC 6962 (without an array per level of the tree: every
// append is answered with an inclusion proof).

function path(index: number, span: Span): Span[] {
  const siblings: Span[] = [];
  let current = span;
  let at = index;
  while (current.size > 1) {
    const [left, right] = split(current);
    if (at < left.size) {
      siblings.push(right);
      current = left;
    } else {
      siblings.push(left);
      at -= left.size;
      current = right;
    }
  }
  return siblings.reverse();
}

function subproof(first: number, span: Span, knownRoot: boolean): Span[] {
  const siblings: Span[] = [];
  let current = span;
  let m = first;
  let known = knownRoot;
  while (m !== current.size) {
    const [left, right] = split(current);
    if (m <= left.size) {
      siblings.push(right);
      current = left;
    } else {
      siblings.push(left);
      m -= left.size;
      current = right;
      known = false;
    }
  }
  if (!known) siblings.push(current);
  return siblings.reverse();
}

/** Split at k, the largest power of two smaller than the span's size (RFC 6962 §2.1). */
function split(span: Span): [Span, Span] {
  let k = 1;
  while (k * 2 < span.size) k *= 2;
  return [
    { start: span.start, size: k },
    { start: span.start + k, size: span.size - k },
  ];
}

function subtrees(span: Span): NodeId[] {
  const ids: NodeId[] = [];
  let start = span.start;
  let width = 1;
  let level = 0;
  while (width * 2 <= span.size) {
    width *= 2;
    level += 1;
  }
  for (; level >= 0; level -= 1, width /= 2) {
    if (Math.floor(span.size / width) % 2 === 1) {
      ids.push({ level, index: start / width });
      start += width;
    }
  }
  return ids;
}

function requireSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}
