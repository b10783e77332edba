// A benchmark that counts wrong answers as throughput proves nothing: sampled responses are checked
// as a client would — inclusion proof against the checkpoint's root, checkpoint and SET signatures.
import { createHash, createPublicKey, verify } from "node:crypto";
import { verifyCheckpoint } from "../services/common/checkpoint.ts";
import { leafHash } from "../services/common/merkle/hash.ts";
import { verifyInclusion } from "../services/common/merkle/verify.ts";
import type { LogEntry } from "../services/log/api/log-entry.ts";
import { jcs } from "../services/log/entries/jcs.ts";

/** Throws on the first sampled response that a sigstore client would refuse. */
export async function checkEntries(
  url: string,
  hostname: string,
  responses: readonly string[],
): Promise<void> {
  const pem = await (await fetch(`${url}/api/v1/log/publicKey`)).text();
  const publicKey = createPublicKey(pem);
  const spki = publicKey.export({ type: "spki", format: "der" });
  const logId = createHash("sha256").update(spki).digest("hex");
  for (const response of responses) {
    const [uuid, entry] = Object.entries(JSON.parse(response) as Record<string, LogEntry>)[0] ?? [];
    if (!uuid || !entry) throw new Error(`not a LogEntry: ${response.slice(0, 200)}`);
    const fail = (what: string) => {
      throw new Error(`entry ${uuid}: ${what}`);
    };
    const proof = entry.verification.inclusionProof;
    const body = Buffer.from(entry.body, "base64");
    const hash = leafHash(body);
    if (!uuid.endsWith(hash.toString("hex"))) fail("UUID does not end with the leaf hash");
    const hashes = proof.hashes.map((h) => Buffer.from(h, "hex"));
    const root = Buffer.from(proof.rootHash, "hex");
    if (!verifyInclusion(proof.logIndex, proof.treeSize, hash, hashes, root)) fail("inclusion proof fails");
    const checkpoint = verifyCheckpoint(proof.checkpoint, hostname, publicKey, spki);
    if (checkpoint.size !== proof.treeSize || !checkpoint.rootHash.equals(root))
      fail("checkpoint does not commit to the proof's tree");
    const payload = jcs({
      body: entry.body,
      integratedTime: entry.integratedTime,
      logID: logId,
      logIndex: entry.logIndex,
    });
    const set = Buffer.from(entry.verification.signedEntryTimestamp, "base64");
    if (entry.logID !== logId || !verify("sha256", payload, publicKey, set)) fail("SET does not verify");
  }
}
