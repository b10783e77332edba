// The large-log scenario: storage filled to `size` entries (log-fill.ts), then the service is
// started on it twice — the first start makes the CT and TSA keys a fresh data directory lacks,
// the second is the restart that is timed — and serves inclusion proofs for random entries.
import { randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexTreeId } from "../services/log/shards.ts";
import { checkEntries } from "./log-check.ts";
import type { Signers } from "./log-entries.ts";
import { fillLog } from "./log-fill.ts";
import { httpRequest, percentiles, runClosedLoop } from "./log-http.ts";
import { LOG_HOSTNAME, type LogSetup, startLogProcess } from "./log-service.ts";

export interface MillionOptions {
  size: number;
  proofs: number;
  concurrency: number;
  treeId: string;
  signers: Signers;
}

export async function runMillion(setup: LogSetup, options: MillionOptions): Promise<void> {
  const storageUrl = setup.shards?.[0]?.storage ?? join(setup.dataDir, "log.db");
  // The local shard's tree id lives in the data directory (shards.ts localShards).
  if (!setup.shards) writeFileSync(join(setup.dataDir, "tree-id"), `${options.treeId}\n`);
  const filled = await fillLog({
    dataDir: setup.dataDir,
    storageUrl,
    treeId: options.treeId,
    hostname: LOG_HOSTNAME,
    size: options.size,
    batch: 10_000,
    signers: options.signers,
  });
  console.log(
    `${options.size} entries: filled in ${filled.seconds.toFixed(0)} s (${(options.size / filled.seconds).toFixed(0)} entries/s, storage API, batches of 10,000)`,
  );
  const first = await startLogProcess(setup);
  await first.stop();
  const log = await startLogProcess(setup);
  try {
    console.log(`  restart to ready (spawn to /readyz 200): ${log.readyAfterMs.toFixed(0)} ms`);
    const prefix = hexTreeId(options.treeId);
    const url = new URL(log.url);
    const proofRequest = (i: number) => {
      const index = randomInt(options.size);
      const uuid = filled.leafHashes.toString("hex", index * 32, index * 32 + 32);
      return httpRequest(
        url,
        "GET",
        i % 2 === 0 ? `/api/v1/log/entries?logIndex=${index}` : `/api/v1/log/entries/${prefix}${uuid}`,
      );
    };
    for (const concurrency of [1, options.concurrency]) {
      const samples: string[] = [];
      const requests = Array.from({ length: options.proofs }, (_, i) => proofRequest(i));
      const result = await runClosedLoop(url, requests, concurrency, (response, i) => {
        if (i % 100 === 0) samples.push(response.body.toString());
      });
      await checkEntries(log.url, LOG_HOSTNAME, samples);
      const { p50, p99, max } = percentiles(result.latencies);
      console.log(
        `  inclusion proofs (half by logIndex, half by UUID), ${concurrency} connection(s): ` +
          `${(options.proofs / result.seconds).toFixed(0)}/s, p50 ${p50} ms, p99 ${p99} ms, max ${max} ms; ` +
          `statuses ${JSON.stringify(result.statuses)}; ${samples.length} sampled responses verified; ` +
          `peak RSS so far ${log.peakRssMiB().toFixed(0)} MiB`,
      );
    }
  } finally {
    await log.stop();
  }
}
