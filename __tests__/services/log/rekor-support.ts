/**
 * Independent checks of what the Rekor v1 API hands out — SETs, inclusion proofs, checkpoints —
 * written from the specs (Rekor openapi.yaml LogEntry, RFC 6962 §2.1, C2SP signed-note) rather
 * than from the service's code. Shared by the API, bad-input and shard tests.
 */
import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import canonicalizeModule from "canonicalize";
import { expect } from "vitest";
import { verifyCheckpoint } from "../../../services/common/checkpoint.ts";
import { verifyInclusion } from "../../../services/common/merkle/verify.ts";
import type { TestCertificate } from "../../support/pki.ts";
import { sigstoreMessage } from "./entries/support.ts";
import { getJson, postJson } from "./support.ts";

// The package is CommonJS whose module.exports is the function (see services/log/entries/jcs.ts).
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string;

/** startLog names the log 127.0.0.1: the checkpoint signer's name and origin host. */
export const LOG_NAME = "127.0.0.1";

export interface LogEntryJson {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    inclusionProof: {
      logIndex: number;
      rootHash: string;
      treeSize: number;
      hashes: string[];
      checkpoint: string;
    };
    signedEntryTimestamp: string;
  };
}

export interface LogKey {
  publicKey: KeyObject;
  spki: Buffer;
  /** Hex SHA-256 of the DER SPKI: Rekor's logID. */
  logId: string;
}

export async function fetchLogKey(url: string): Promise<LogKey> {
  const response = await fetch(`${url}/api/v1/log/publicKey`);
  expect(response.status).toBe(200);
  const publicKey = createPublicKey(await response.text());
  const spki = publicKey.export({ type: "spki", format: "der" });
  return { publicKey, spki, logId: createHash("sha256").update(spki).digest("hex") };
}

export const sha256 = (data: Buffer | string): Buffer => createHash("sha256").update(data).digest();

/** RFC 6962 §2.1 leaf hash. */
export const leafHashOf = (value: Buffer): Buffer => sha256(Buffer.concat([Buffer.of(0), value]));

/** RFC 6962 §2.1 MTH, computed naively over every leaf hash, as the reference root. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0] as Buffer;
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  const left = merkleRoot(leaves.slice(0, split));
  const right = merkleRoot(leaves.slice(split));
  return sha256(Buffer.concat([Buffer.of(1), left, right]));
}

/** Rekor's UUID prefix: the tree ID as 16 hex digits. */
export const treePrefix = (treeId: string): string => BigInt(treeId).toString(16).padStart(16, "0");

/** A LogEntry response has exactly one key, the UUID. */
export function onlyEntry(body: unknown): [string, LogEntryJson] {
  const entries = Object.entries(body as Record<string, LogEntryJson>);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, LogEntryJson];
}

/** Verifies a signed note by the log and that it commits to `size` and `rootHex`; returns its origin. */
export function checkSignedTreeHead(note: string, key: LogKey, size: number, rootHex: string): string {
  const checkpoint = verifyCheckpoint(note, LOG_NAME, key.publicKey, key.spki);
  expect(checkpoint.size).toBe(size);
  expect(checkpoint.rootHash.toString("hex")).toBe(rootHex);
  return checkpoint.origin;
}

/**
 * Everything a client can check about one entry: UUID = tree prefix ‖ leaf hash of the body, a
 * JCS-canonical body, the SET over {body, integratedTime, logID, logIndex}, the inclusion proof
 * against the proof's root, and that root signed in the checkpoint under the tree's origin.
 */
export function checkLogEntry(uuid: string, entry: LogEntryJson, key: LogKey, treeId: string): Buffer {
  const body = Buffer.from(entry.body, "base64");
  const leafHash = leafHashOf(body);
  expect(uuid).toBe(`${treePrefix(treeId)}${leafHash.toString("hex")}`);
  expect(canonicalize(JSON.parse(body.toString("utf8")))).toBe(body.toString("utf8"));
  expect(entry.logID).toBe(key.logId);

  const signed = canonicalize({
    body: entry.body,
    integratedTime: entry.integratedTime,
    logID: entry.logID,
    logIndex: entry.logIndex,
  });
  const set = Buffer.from(entry.verification.signedEntryTimestamp, "base64");
  expect(verify("sha256", Buffer.from(signed), key.publicKey, set)).toBe(true);

  const proof = entry.verification.inclusionProof;
  const hashes = proof.hashes.map((h) => Buffer.from(h, "hex"));
  const root = Buffer.from(proof.rootHash, "hex");
  expect(verifyInclusion(proof.logIndex, proof.treeSize, leafHash, hashes, root)).toBe(true);
  const origin = checkSignedTreeHead(proof.checkpoint, key, proof.treeSize, proof.rootHash);
  expect(origin).toBe(`${LOG_NAME} - ${treeId}`);
  return body;
}

/** A hashedrekord proposal for `artifact`, as sigstore-js builds it, signed by `signer`'s key. */
export function hashedRekord(artifact: Buffer, signer: TestCertificate) {
  return sigstoreMessage(artifact, signer.key, signer.pem).proposed;
}

export async function submit(url: string, proposed: unknown) {
  return postJson(`${url}/api/v1/log/entries`, proposed);
}

/** Submits and expects a new entry; returns its UUID and LogEntry. */
export async function append(url: string, proposed: unknown): Promise<[string, LogEntryJson]> {
  const response = await submit(url, proposed);
  expect(response.status).toBe(201);
  return onlyEntry(response.body);
}

export async function treeSize(url: string): Promise<number> {
  const { body } = await getJson(`${url}/api/v1/log`);
  return body.treeSize as number;
}
