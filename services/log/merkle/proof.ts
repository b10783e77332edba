// Proofs from stored nodes: one storage read of O(log n) complete subtrees per proof.
import { emptyRoot } from "../../common/merkle/hash.ts";
import type { NodeId } from "../storage/types.ts";
import { foldSubtrees } from "./fold.ts";
import { compactRange, consistencyPlan, inclusionPlan } from "./plan.ts";

/** Reads stored subtree hashes in the order asked (level 0 = leaf hashes). */
export type ReadNodes = (ids: readonly NodeId[]) => Promise<Buffer[]>;

/** RFC 6962 §2.1.1 audit path. Throws RangeError unless 0 <= index < size. */
export async function inclusionProof(read: ReadNodes, index: number, size: number): Promise<Buffer[]> {
  return readPlan(read, inclusionPlan(index, size));
}

/** RFC 6962 §2.1.2 consistency proof. Throws RangeError unless 0 < first <= second. */
export async function consistencyProof(read: ReadNodes, first: number, second: number): Promise<Buffer[]> {
  return readPlan(read, consistencyPlan(first, second));
}

export async function rootOf(read: ReadNodes, size: number): Promise<Buffer> {
  const range = compactRange(size);
  return range.length === 0 ? emptyRoot() : foldSubtrees(await read(range));
}

async function readPlan(read: ReadNodes, plan: NodeId[][]): Promise<Buffer[]> {
  const hashes = await read(plan.flat());
  let offset = 0;
  return plan.map((group) => {
    const element = foldSubtrees(hashes.slice(offset, offset + group.length));
    offset += group.length;
    return element;
  });
}
