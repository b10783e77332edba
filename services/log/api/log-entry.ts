import { createHash } from "node:crypto";
import type { Signer } from "../../common/signer/types.ts";
import { jcs } from "../entries/jcs.ts";
import type { Located, ShardSet } from "../shards.ts";
import type { LeafRecord, StoredCheckpoint } from "../storage/types.ts";

/** Rekor's `LogEntry` value, keyed by UUID in responses (Rekor OpenAPI `LogEntry`). */
export interface LogEntry {
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

/** The log's identity as clients see it: its key, and the log ID derived from it. */
export class LogIdentity {
  readonly signer: Signer;
  /** Hex SHA-256 of the DER SubjectPublicKeyInfo (RFC 6962 log ID, Rekor `logID`). */
  readonly logId: string;

  constructor(signer: Signer) {
    this.signer = signer;
    this.logId = createHash("sha256").update(signer.spki).digest("hex");
  }

  /**
   * The signed entry timestamp: a signature over the JCS-canonical {body, integratedTime, logID,
   * logIndex}, with the global log index (rekor pkg/api/entries.go signEntry).
   */
  signEntryTimestamp(body: Buffer, integratedTimeSeconds: number, logIndex: number): Promise<Buffer> {
    const payload = jcs({
      body: body.toString("base64"),
      integratedTime: integratedTimeSeconds,
      logID: this.logId,
      logIndex,
    });
    return this.signer.sign(payload);
  }
}

export function seconds(milliseconds: number): number {
  return Math.floor(milliseconds / 1000);
}

/** A stored leaf as Rekor serves it, with an inclusion proof up to `checkpoint`. */
export async function toLogEntry(
  shards: ShardSet,
  identity: LogIdentity,
  { shard, leaf }: Located,
  checkpoint?: StoredCheckpoint,
): Promise<Record<string, LogEntry>> {
  const head = checkpoint ?? (await shard.tree.head());
  const hashes = await shard.tree.inclusionProof(leaf.index, head.size);
  return {
    [shards.uuidOf(shard, leaf)]: {
      body: leaf.value.toString("base64"),
      integratedTime: seconds(leaf.integratedTime),
      logID: identity.logId,
      logIndex: shard.offset + leaf.index,
      verification: {
        inclusionProof: {
          logIndex: leaf.index,
          rootHash: head.rootHash.toString("hex"),
          treeSize: head.size,
          hashes: hashes.map((h) => h.toString("hex")),
          checkpoint: head.signed,
        },
        signedEntryTimestamp: setOf(leaf).toString("base64"),
      },
    },
  };
}

function setOf(leaf: LeafRecord): Buffer {
  if (!leaf.extra) throw new Error(`entry ${leaf.index} has no signed entry timestamp`);
  return leaf.extra;
}
