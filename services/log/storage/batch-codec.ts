/**
 * An AppendBatch as one flat ArrayBuffer, for the hop to the SQLite writer thread. Structured
 * cloning walks every leaf, node and search key as an object of its own and cost more of the event
 * loop than signing the batch did; one buffer moves to the thread without a copy, and the thread
 * reads the byte fields as views into it.
 *
 * Layout, little-endian: counts and fixed fields as float64/uint32, byte strings and UTF-8 strings
 * as a uint32 length then the bytes; a null `extra` has length 0xffffffff.
 */
import type { AppendBatch, LeafRecord, StoredNode } from "./types.ts";

const NULL_LENGTH = 0xffffffff;

export function encodeBatch(batch: AppendBatch): ArrayBuffer {
  const { leaves, nodes, searchKeys, checkpoint } = batch;
  const keys = searchKeys.map(({ key }) => Buffer.from(key));
  const signed = Buffer.from(checkpoint.signed);
  let size = 8 + 4 * 3 + 8 + 8 + 4 + checkpoint.rootHash.length + 4 + signed.length;
  for (const leaf of leaves)
    size += 8 + 8 + 4 + leaf.leafHash.length + 4 + leaf.value.length + 4 + (leaf.extra?.length ?? 0);
  for (const node of nodes) size += 4 + 8 + 4 + node.hash.length;
  for (const key of keys) size += 8 + 4 + key.length;

  const arena = new ArrayBuffer(size);
  const bytes = Buffer.from(arena);
  const view = new DataView(arena);
  let at = 0;
  const number = (value: number) => {
    view.setFloat64(at, value, true);
    at += 8;
  };
  const count = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const blob = (value: Buffer) => {
    count(value.length);
    value.copy(bytes, at);
    at += value.length;
  };

  number(batch.expectedSize);
  count(leaves.length);
  count(nodes.length);
  count(searchKeys.length);
  number(checkpoint.size);
  number(checkpoint.timestamp);
  blob(checkpoint.rootHash);
  blob(signed);
  for (const leaf of leaves) {
    number(leaf.index);
    number(leaf.integratedTime);
    blob(leaf.leafHash);
    blob(leaf.value);
    if (leaf.extra) blob(leaf.extra);
    else count(NULL_LENGTH);
  }
  for (const node of nodes) {
    count(node.level);
    number(node.index);
    blob(node.hash);
  }
  searchKeys.forEach(({ index }, i) => {
    number(index);
    blob(keys[i] as Buffer);
  });
  return arena;
}

export function decodeBatch(arena: ArrayBuffer): AppendBatch {
  const bytes = Buffer.from(arena);
  const view = new DataView(arena);
  let at = 0;
  const number = () => {
    const value = view.getFloat64(at, true);
    at += 8;
    return value;
  };
  const count = () => {
    const value = view.getUint32(at, true);
    at += 4;
    return value;
  };
  const blob = (length = count()) => {
    const value = bytes.subarray(at, at + length);
    at += length;
    return value;
  };

  const expectedSize = number();
  const [leafCount, nodeCount, keyCount] = [count(), count(), count()];
  const checkpoint = {
    size: number(),
    timestamp: number(),
    rootHash: blob(),
    signed: blob().toString("utf8"),
  };
  const leaves: LeafRecord[] = [];
  for (let i = 0; i < leafCount; i++) {
    const index = number();
    const integratedTime = number();
    const leafHash = blob();
    const value = blob();
    const extraLength = count();
    leaves.push({
      index,
      integratedTime,
      leafHash,
      value,
      extra: extraLength === NULL_LENGTH ? null : blob(extraLength),
    });
  }
  const nodes: StoredNode[] = [];
  for (let i = 0; i < nodeCount; i++) nodes.push({ level: count(), index: number(), hash: blob() });
  const searchKeys: AppendBatch["searchKeys"] = [];
  for (let i = 0; i < keyCount; i++) searchKeys.push({ index: number(), key: blob().toString("utf8") });
  return { expectedSize, leaves, nodes, searchKeys, checkpoint };
}
