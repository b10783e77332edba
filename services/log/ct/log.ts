import { createHash, hash } from "node:crypto";
import { encodeDigitallySigned } from "../../common/ct/digitally-signed.ts";
import type { SignedCertificateTimestamp } from "../../common/ct/sct.ts";
import { badRequest, notFound } from "../../common/errors.ts";
import type { Signer } from "../../common/signer/types.ts";
import type { LeafRecord } from "../storage/types.ts";
import type { Tree } from "../tree.ts";
import {
  decodeMerkleTreeLeaf,
  encodeMerkleTreeLeaf,
  encodeSignedEntry,
  type SignedEntry,
  sctSignatureInput,
  sthSignatureInput,
  type TimestampedEntry,
} from "./encoding.ts";
import { acceptSubmission, TrustedRoots } from "./submission.ts";

/** RFC 6962 §4.3 get-sth reply; also the `signed` form of this tree's stored checkpoints. */
export interface SignedTreeHead {
  tree_size: number;
  timestamp: number;
  sha256_root_hash: string;
  tree_head_signature: string;
}

export interface CtLogOptions {
  /** This log's own tree, opened with `CtLog.signTreeHead` as its checkpoint signer. */
  tree: Tree;
  treeId: string;
  signer: Signer;
  /** PEM certificates a submitted chain must end in; none means every submission is refused. */
  rootsPem: string;
  /** RFC 6962 §3: the promise an SCT makes. Entries are integrated before the SCT is returned. */
  maxMergeDelaySeconds?: number;
}

/** Most entries one get-entries request returns, as deployed logs cap it. */
export const maxEntriesPerRequest = 256;
const noExtensions = Buffer.alloc(0);

/** RFC 6962 §2.1.4 names ECDSA with P-256 and SHA-256 as the log signature for EC keys. */
function requireP256(signer: Signer): void {
  if (signer.algorithm !== "ecdsa-p256-sha256") {
    throw new Error(`a CT log signs with ecdsa-p256-sha256, not ${signer.algorithm} (RFC 6962 §2.1.4)`);
  }
}

/** An RFC 6962 certificate transparency log over its own tree, storage and key. */
export class CtLog {
  /** RFC 6962 §3.2: SHA-256 of the log key's DER SubjectPublicKeyInfo. */
  readonly logId: Buffer;
  readonly roots: TrustedRoots;
  readonly maxMergeDelaySeconds: number;
  readonly tree: Tree;
  readonly treeId: string;
  /** DER SubjectPublicKeyInfo of the log key, as the trusted root lists it. */
  readonly spki: Buffer;
  private readonly signer: Signer;
  // Concurrent identical submissions in this process share one append, so they get one entry.
  private readonly pending = new Map<string, Promise<SignedCertificateTimestamp>>();

  constructor(options: CtLogOptions) {
    requireP256(options.signer);
    this.tree = options.tree;
    this.treeId = options.treeId;
    this.signer = options.signer;
    this.spki = options.signer.spki;
    this.roots = TrustedRoots.fromPem(options.rootsPem);
    this.maxMergeDelaySeconds = options.maxMergeDelaySeconds ?? 86_400;
    this.logId = createHash("sha256").update(options.signer.spki).digest();
  }

  /** The checkpoint signer of a CT tree: the checkpoint is the RFC 6962 §3.5 STH as JSON. */
  static async signTreeHead(
    signer: Signer,
    treeSize: number,
    rootHash: Buffer,
    timestamp: number,
  ): Promise<string> {
    requireP256(signer);
    const signature = await signer.sign(sthSignatureInput({ timestamp, treeSize, rootHash }));
    const head: SignedTreeHead = {
      tree_size: treeSize,
      timestamp,
      sha256_root_hash: rootHash.toString("base64"),
      tree_head_signature: encodeDigitallySigned(signature).toString("base64"),
    };
    return JSON.stringify(head);
  }

  /** RFC 6962 §4.1/§4.2: log a chain (once) and return the SCT for its entry. */
  async addChain(chain: readonly string[], precert: boolean): Promise<SignedCertificateTimestamp> {
    const { entry, extraData } = acceptSubmission(chain, this.roots, precert);
    const identity = `${entry.type}:${hash("sha256", encodeSignedEntry(entry), "hex")}`;
    let sct = this.pending.get(identity);
    if (!sct) {
      sct = this.logEntry(entry, extraData, identity).finally(() => this.pending.delete(identity));
      this.pending.set(identity, sct);
    }
    return sct;
  }

  /**
   * The leaf hash covers the timestamp, so the tree cannot spot a resubmission by itself; the
   * entry's identity is a search key, and a known entry gets an SCT for its original timestamp.
   */
  private async logEntry(
    entry: SignedEntry,
    extraData: Buffer,
    identity: string,
  ): Promise<SignedCertificateTimestamp> {
    const [earlier] = await this.tree.search(identity);
    const stored = earlier === undefined ? undefined : await this.tree.leafAt(earlier);
    const leaf =
      stored ??
      (
        await this.tree.append({
          value: encodeMerkleTreeLeaf({ timestamp: Date.now(), entry, extensions: noExtensions }),
          searchKeys: [identity],
          extra: async () => extraData,
        })
      ).leaf;
    return this.signSct(decodeMerkleTreeLeaf(leaf.value));
  }

  private async signSct(entry: TimestampedEntry): Promise<SignedCertificateTimestamp> {
    const signature = await this.signer.sign(sctSignatureInput(entry));
    return { logId: this.logId, timestamp: entry.timestamp, extensions: entry.extensions, signature };
  }

  async signedTreeHead(): Promise<SignedTreeHead> {
    return JSON.parse((await this.tree.head()).signed) as SignedTreeHead;
  }

  /** RFC 6962 §4.4. The empty tree is a prefix of every tree, so from size 0 nothing needs proving. */
  async consistencyProof(first: number, second: number): Promise<Buffer[]> {
    const { size } = await this.tree.head();
    if (first > second) throw badRequest("INVALID_RANGE", "first must not exceed second");
    if (second > size) throw badRequest("TREE_SIZE_TOO_LARGE", `second exceeds the tree size ${size}`);
    return first === 0 ? [] : this.tree.consistencyProof(first, second);
  }

  /** RFC 6962 §4.5. */
  async proofByHash(leafHash: Buffer, treeSize: number): Promise<{ leafIndex: number; auditPath: Buffer[] }> {
    const { size } = await this.tree.head();
    if (treeSize < 1) throw badRequest("INVALID_TREE_SIZE", "tree_size must be at least 1");
    if (treeSize > size) throw badRequest("TREE_SIZE_TOO_LARGE", `tree_size exceeds the tree size ${size}`);
    const [leaf] = await this.tree.leavesByHash([leafHash]);
    if (!leaf || leaf.index >= treeSize) {
      throw notFound("LEAF_NOT_FOUND", `no entry with this leaf hash in the first ${treeSize} entries`);
    }
    return { leafIndex: leaf.index, auditPath: await this.tree.inclusionProof(leaf.index, treeSize) };
  }

  /** RFC 6962 §4.6: entries start..end inclusive, clipped to the tree and the per-request cap. */
  async entries(start: number, end: number): Promise<LeafRecord[]> {
    const { size } = await this.tree.head();
    if (start > end) throw badRequest("INVALID_RANGE", "start must not exceed end");
    if (start >= size) throw badRequest("INVALID_RANGE", `start is beyond the tree size ${size}`);
    const last = Math.min(end, size - 1, start + maxEntriesPerRequest - 1);
    return this.tree.leaves(start, last + 1);
  }
}
