// Fills a log's storage to a given size without the HTTP API: valid leaves are made on worker
// threads (a real signature by a bench certificate, the log's SET at the leaf's final position)
// and appended straight through the storage API in big batches, each with its Merkle nodes and a
// checkpoint signed by the log's key, exactly as the sequencer writes them.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { checkpointBody, keyHintOf, signNote } from "../services/common/checkpoint.ts";
import { loadSigner } from "../services/common/signer/index.ts";
import type { Signer } from "../services/common/signer/types.ts";
import { validateProposedEntry } from "../services/log/entries/index.ts";
import { Frontier } from "../services/log/merkle/frontier.ts";
import { openStorage } from "../services/log/storage/open.ts";
import type { LeafRecord, StoredCheckpoint } from "../services/log/storage/types.ts";
import { canonicalBodyOf, proposalOf, type Signers, signArtifact } from "./log-entries.ts";
import type { FillLeaf, FillSetup, FillSigner } from "./log-fill-worker.ts";

export interface FillOptions {
  /** The service's data directory: its log key is created here, as the service would. */
  dataDir: string;
  storageUrl: string;
  treeId: string;
  hostname: string;
  size: number;
  batch: number;
  signers: Signers;
}

export interface Filled {
  seconds: number;
  /** Leaf hash of every entry, 32 bytes each, in index order. */
  leafHashes: Buffer;
}

export async function fillLog(options: FillOptions): Promise<Filled> {
  const started = performance.now();
  const logKeyPath = join(options.dataDir, "log-key.pem");
  const signer = await loadSigner({
    kind: "file",
    path: logKeyPath,
    create: true,
    algorithm: "ecdsa-p256-sha256",
  });
  const setup: FillSetup = {
    signers: fillSigners(options.signers),
    logKeyPem: readFileSync(logKeyPath, "utf8"),
  };
  const makers = Array.from({ length: availableParallelism() }, () => new LeafMaker(setup));
  const storage = await openStorage(options.storageUrl, options.treeId);
  const frontier = Frontier.empty();
  const leafHashes = Buffer.alloc(options.size * 32);
  const sign = checkpointSigner(options, signer);
  try {
    const chunks = Math.ceil(options.size / options.batch);
    const ahead = makers.length * 2;
    const made: Array<Promise<FillLeaf[]> | undefined> = [];
    const request = (chunk: number) => {
      const start = chunk * options.batch;
      const count = Math.min(options.batch, options.size - start);
      made[chunk] = (makers[chunk % makers.length] as LeafMaker).make(start, count);
    };
    for (let chunk = 0; chunk < Math.min(chunks, ahead); chunk++) request(chunk);
    for (let chunk = 0; chunk < chunks; chunk++) {
      const fresh = (await made[chunk]) as FillLeaf[];
      made[chunk] = undefined;
      if (chunk + ahead < chunks) request(chunk + ahead);
      const leaves = fresh.map((leaf, i) => toRecord(leaf, chunk * options.batch + i));
      const expectedSize = frontier.size;
      const { nodes, root } = frontier.append(leaves.map((leaf) => leaf.leafHash));
      await storage.append({
        expectedSize,
        leaves,
        nodes,
        searchKeys: fresh.flatMap((leaf, i) =>
          leaf.searchKeys.map((key) => ({ key, index: expectedSize + i })),
        ),
        checkpoint: await sign(frontier.size, root),
      });
      for (const leaf of leaves) leaf.leafHash.copy(leafHashes, leaf.index * 32);
    }
  } finally {
    await storage.close();
    await Promise.all(makers.map((maker) => maker.stop()));
  }
  return { seconds: (performance.now() - started) / 1000, leafHashes };
}

const buffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function toRecord(leaf: FillLeaf, index: number): LeafRecord {
  return {
    index,
    leafHash: buffer(leaf.leafHash),
    value: buffer(leaf.value),
    extra: buffer(leaf.extra),
    integratedTime: leaf.integratedTime,
  };
}

/**
 * What the workers need of each certificate. The first entry of each is also put through the
 * service's validation, so the leaves the workers make are the very bytes the API would store.
 */
function fillSigners(signers: Signers): FillSigner[] {
  return signers.certificates.map((certificate, i) => {
    const content = signers.contents[i] as string;
    const signed = signArtifact(certificate.key.privateKey);
    const entry = validateProposedEntry(JSON.parse(proposalOf(signed, content).toString()));
    if (!entry.canonicalBody.equals(canonicalBodyOf(signed, content)))
      throw new Error("the fill would store other bytes than the API does");
    return {
      privateKeyPem: certificate.key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      content,
      keySearchKeys: entry.searchKeys.filter((key) => !key.startsWith("hash:")),
    };
  });
}

/** Signs checkpoints as the service does (app.ts): origin `<hostname> - <treeID>`, signed as `<hostname>`. */
function checkpointSigner(options: FillOptions, signer: Signer) {
  const hint = keyHintOf(signer.spki);
  return async (size: number, rootHash: Buffer): Promise<StoredCheckpoint> => {
    const body = checkpointBody({
      origin: `${options.hostname} - ${options.treeId}`,
      size,
      rootHash,
      extensions: [],
    });
    const signed = await signNote(body, options.hostname, hint, (data) => signer.sign(data));
    return { size, rootHash, timestamp: Date.now(), signed };
  };
}

/** One worker thread making leaves, answering requests in the order they were made. */
class LeafMaker {
  readonly #worker: Worker;
  readonly #waiting: Array<(leaves: FillLeaf[]) => void> = [];

  constructor(setup: FillSetup) {
    this.#worker = new Worker(new URL("./log-fill-worker.ts", import.meta.url), { workerData: setup });
    this.#worker.on("message", (leaves: FillLeaf[]) => this.#waiting.shift()?.(leaves));
    this.#worker.on("error", (error) => {
      throw error;
    });
  }

  make(start: number, count: number): Promise<FillLeaf[]> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#worker.postMessage({ start, count });
    });
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
