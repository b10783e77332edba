import { hash } from "node:crypto";

// RFC 6962 §2.1: domain separation between leaves (0x00) and interior nodes (0x01) stops a
// leaf from being passed off as a node (second-preimage attack).
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const HASH_SIZE = 32;

// One-shot hashes: a Hash object is a native object the garbage collector must finalize, and a
// busy log makes thousands a second.
export function leafHash(value: Buffer): Buffer {
  return hash("sha256", Buffer.concat([LEAF_PREFIX, value]), "buffer");
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash("sha256", Buffer.concat([NODE_PREFIX, left, right]), "buffer");
}

/** MTH({}) = SHA-256() — RFC 6962 §2.1. */
export function emptyRoot(): Buffer {
  return hash("sha256", Buffer.alloc(0), "buffer");
}
