import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { checkpointBody, keyHintOf, signNote } from "../common/checkpoint.ts";
import { createRegistry } from "../common/metrics.ts";
import { createServer } from "../common/server.ts";
import { loadSigner } from "../common/signer/index.ts";
import type { Signer } from "../common/signer/types.ts";
import { LogIdentity } from "./api/log-entry.ts";
import { rekorApi } from "./api/rekor.ts";
import type { LogConfig } from "./config.ts";
import { ctApi } from "./ct/api.ts";
import { CtLog } from "./ct/log.ts";
import { LogMetrics } from "./metrics.ts";
import { localShards, ShardSet } from "./shards.ts";
import { openStorage } from "./storage/open.ts";
import { Tree } from "./tree.ts";
import { tsaApi } from "./tsa/api.ts";
import { TimestampAuthority } from "./tsa/authority.ts";
import { loadOrCreateTsaChain } from "./tsa/chain.ts";

export interface LogService {
  server: FastifyInstance;
  shards: ShardSet;
  ct: CtLog;
  identity: LogIdentity;
  /** The TSA's certificate chain, DER, signing leaf first. */
  tsaChain: Buffer[];
  /** Finishes in-flight appends and closes every database. */
  close(): Promise<void>;
}

/** Rekor v1 checkpoint signer: origin `<hostname> - <treeID>`, signed as `<hostname>`. */
function rekorCheckpoints(hostname: string, treeId: string, signer: Signer) {
  const hint = keyHintOf(signer.spki);
  return (size: number, rootHash: Buffer) =>
    signNote(
      checkpointBody({ origin: `${hostname} - ${treeId}`, size, rootHash, extensions: [] }),
      hostname,
      hint,
      (data) => signer.sign(data),
    );
}

/** Builds the whole log service (Rekor API, CT log, TSA) from validated configuration. */
export async function buildLogService(config: LogConfig, logger: Logger | false): Promise<LogService> {
  const [logSigner, ctSigner, tsaSigner] = await Promise.all([
    loadSigner(config.logSigner),
    loadSigner(config.ct.signer),
    loadSigner(config.tsa.signer),
  ]);
  const registry = createRegistry("signet_log");
  const metrics = new LogMetrics(registry);

  const shardConfigs = config.shards ?? localShards(config.dataDir);
  const shards = await ShardSet.open(shardConfigs, {
    maxBatch: config.maxBatch,
    signCheckpoint: (treeId) => rekorCheckpoints(config.hostname, treeId, logSigner),
    onBatch: (report) => metrics.observeBatch(report),
  });
  const ctTree = await Tree.open(await openStorage(config.ct.storage, config.ct.treeId), {
    maxBatch: config.maxBatch,
    signCheckpoint: (size, root, timestamp) => CtLog.signTreeHead(ctSigner, size, root, timestamp),
  });
  const roots = config.ct.rootsPath ? readFileSync(config.ct.rootsPath, "utf8") : "";
  const ct = new CtLog({ tree: ctTree, treeId: config.ct.treeId, signer: ctSigner, rootsPem: roots });
  const chain = await loadOrCreateTsaChain(config.tsa.chainPath, tsaSigner, config.tsa.createChain);
  const authority = new TimestampAuthority({ signer: tsaSigner, chain: chain.der });

  const server = createServer({
    name: "log",
    logger,
    bodyLimit: config.bodyLimit,
    registry,
    // Rekor's Error shape on every route: the timestamp authority's API uses it too.
    errorStyle: "rekor",
    readiness: async () => {
      await Promise.all([...shards.shards.map((s) => s.tree.storage.ping()), ctTree.storage.ping()]);
    },
  });
  const identity = new LogIdentity(logSigner);
  metrics.watch(shards, ct);
  await server.register(rekorApi, { shards, identity, onAppended: (kind) => metrics.appended(kind) });
  await server.register(ctApi, { log: ct, prefix: config.ct.prefix });
  await server.register(tsaApi, { authority, chainPem: chain.pem });

  return {
    server,
    shards,
    ct,
    identity,
    tsaChain: chain.der,
    close: async () => {
      await server.close();
      await Promise.all([shards.close(), ctTree.close()]);
    },
  };
}
