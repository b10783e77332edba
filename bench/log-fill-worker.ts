// Worker thread for log-fill.ts: makes runs of valid leaves — a signed hashedrekord body and the
// log's SET over it at its final position — in parallel with the writer. Signatures reuse one
// nonce per key (log-fill-signer.ts): valid, and a hundred times cheaper to make.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { leafHash } from "../services/common/merkle/hash.ts";
import { LogIdentity, seconds } from "../services/log/api/log-entry.ts";
import { hashSearchKey } from "../services/log/entries/search.ts";
import { canonicalBodyOf, signArtifact } from "./log-entries.ts";
import { ReusedNonceSigner } from "./log-fill-signer.ts";

export interface FillSigner {
  privateKeyPem: string;
  content: string;
  /** The entry's search keys that come from the certificate (key hash, email). */
  keySearchKeys: string[];
}

export interface FillSetup {
  signers: FillSigner[];
  logKeyPem: string;
}

export interface FillLeaf {
  value: Uint8Array;
  leafHash: Uint8Array;
  extra: Uint8Array;
  integratedTime: number;
  searchKeys: string[];
}

const setup = workerData as FillSetup;
const signers = setup.signers.map((s) => ({
  ...s,
  signer: new ReusedNonceSigner(createPrivateKey(s.privateKeyPem)),
}));
const logKey = createPrivateKey(setup.logKeyPem);
const logSigner = new ReusedNonceSigner(logKey);
const publicKey = createPublicKey(logKey);
// The service's own SET code, over the fill's signer.
const identity = new LogIdentity({
  algorithm: "ecdsa-p256-sha256",
  publicKey,
  spki: publicKey.export({ type: "spki", format: "der" }),
  sign: async (data) => logSigner.sign(data),
});

async function leafAt(index: number, integratedTime: number): Promise<FillLeaf> {
  const signer = signers[index % signers.length] as (typeof signers)[number];
  const signed = signArtifact(signer.signer);
  const value = canonicalBodyOf(signed, signer.content);
  return {
    value,
    leafHash: leafHash(value),
    extra: await identity.signEntryTimestamp(value, seconds(integratedTime), index),
    integratedTime,
    searchKeys: [hashSearchKey("sha256", signed.digest), ...signer.keySearchKeys],
  };
}

parentPort?.on("message", async ({ start, count }: { start: number; count: number }) => {
  const integratedTime = Date.now();
  const leaves: FillLeaf[] = [];
  for (let index = start; index < start + count; index++) leaves.push(await leafAt(index, integratedTime));
  parentPort?.postMessage(leaves);
});
