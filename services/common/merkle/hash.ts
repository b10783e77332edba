import { createHash } from "node:crypto";

// RFC 6962 §2.1: domain separation between leaves (0x00) and interior nodes (0x01) stops a
// leaf from being passed off as a node (second-preimage attack).
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const HASH_SIZE = 32;

export function leafHash(value: Buffer): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(value).digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** MTH({}) = SHA-256() — RFC 6962 §2.1. */
export function emptyRoot(): Buffer {
  return createHash("sha256").digest();
}
