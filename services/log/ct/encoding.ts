import { TlsFormatError, TlsReader, uint, vector } from "../../common/ct/tls.ts";

/** RFC 6962 §3.1 LogEntryType. */
export const logEntryType = { x509: 0, precert: 1 } as const;

/** RFC 6962 §3.2 `signed_entry`: the certificate, or the precertificate's TBS and issuer key hash. */
export type SignedEntry =
  | { type: "x509"; certificate: Buffer }
  | { type: "precert"; issuerKeyHash: Buffer; tbsCertificate: Buffer };

/** RFC 6962 §3.4 TimestampedEntry. `timestamp` is in milliseconds since the epoch. */
export interface TimestampedEntry {
  timestamp: number;
  entry: SignedEntry;
  extensions: Buffer;
}

/** RFC 6962 §3.5 tree head fields covered by the STH signature. */
export interface TreeHead {
  timestamp: number;
  treeSize: number;
  rootHash: Buffer;
}

const v1 = 0;
const timestampedEntryLeaf = 0;
const signatureType = { certificateTimestamp: 0, treeHash: 1 } as const;
const maxAsn1Cert = 2 ** 24 - 1;

export function encodeSignedEntry(entry: SignedEntry): Buffer {
  if (entry.type === "x509") {
    return Buffer.concat([uint(logEntryType.x509, 2), asn1Cert(entry.certificate)]);
  }
  if (entry.issuerKeyHash.length !== 32) throw new TlsFormatError("issuer_key_hash is 32 bytes");
  return Buffer.concat([uint(logEntryType.precert, 2), entry.issuerKeyHash, asn1Cert(entry.tbsCertificate)]);
}

/** `opaque ASN.1Cert<1..2^24-1>` */
export function asn1Cert(der: Buffer): Buffer {
  if (der.length > maxAsn1Cert) throw new TlsFormatError("certificate longer than 2^24-1 bytes");
  return vector(der, 3, 1);
}

// timestamp, entry_type, signed_entry, extensions: shared by TimestampedEntry (§3.4) and the SCT input (§3.2).
function encodeEntryFields(entry: TimestampedEntry): Buffer {
  return Buffer.concat([
    uint(entry.timestamp, 8),
    encodeSignedEntry(entry.entry),
    vector(entry.extensions, 2),
  ]);
}

/** RFC 6962 §3.4 MerkleTreeLeaf: the bytes hashed into the tree and served as `leaf_input`. */
export function encodeMerkleTreeLeaf(entry: TimestampedEntry): Buffer {
  return Buffer.concat([Buffer.of(v1, timestampedEntryLeaf), encodeEntryFields(entry)]);
}

export function decodeMerkleTreeLeaf(leaf: Buffer): TimestampedEntry {
  const reader = new TlsReader(leaf);
  if (reader.uint(1) !== v1 || reader.uint(1) !== timestampedEntryLeaf) {
    throw new TlsFormatError("not a v1 timestamped_entry leaf");
  }
  const timestamp = reader.uint(8);
  const type = reader.uint(2);
  let entry: SignedEntry;
  if (type === logEntryType.x509) entry = { type: "x509", certificate: reader.vector(3) };
  else if (type === logEntryType.precert) {
    entry = { type: "precert", issuerKeyHash: reader.bytes(32), tbsCertificate: reader.vector(3) };
  } else throw new TlsFormatError(`unknown entry_type ${type}`);
  const extensions = reader.vector(2);
  reader.end();
  return { timestamp, entry, extensions };
}

/** RFC 6962 §3.2: the data an SCT's signature covers. */
export function sctSignatureInput(entry: TimestampedEntry): Buffer {
  return Buffer.concat([Buffer.of(v1, signatureType.certificateTimestamp), encodeEntryFields(entry)]);
}

/** RFC 6962 §3.5: the data a tree head signature covers. */
export function sthSignatureInput(head: TreeHead): Buffer {
  if (head.rootHash.length !== 32) throw new TlsFormatError("sha256_root_hash is 32 bytes");
  return Buffer.concat([
    Buffer.of(v1, signatureType.treeHash),
    uint(head.timestamp, 8),
    uint(head.treeSize, 8),
    head.rootHash,
  ]);
}
