// Log service benchmark (issue 3, "Performance"). Usage:
//   npm run bench:log -- [--mode append|million|all] [--driver sqlite|postgres]
//                        [--entries N] [--warmup W] [--concurrency C] [--signers K] [--size S]
//                        [--proofs P] [--profile DIR]  (V8 CPU profile of the service)
// append:  a fresh log in a child process takes W unmeasured appends (JIT compilation, heap and
//          page cache growth), then N measured valid hashedrekord appends, both from C concurrent
//          connections; reports entries/s, append latency, batch sizes and peak RSS.
// million: a database filled to S entries in-process (storage API, big batches), then the service
//          is started on it: restart to ready, inclusion proof latency over HTTP, peak RSS.
// Results go into BENCHMARKS.md by hand, with the machine line printed first.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type PostgresServer, startPostgres } from "../__tests__/support/postgres.ts";
import { runAppendLoad } from "./log-append.ts";
import { checkEntries } from "./log-check.ts";
import { createSigners, proposal } from "./log-entries.ts";
import { runMillion } from "./log-million.ts";
import { histogramTotals, LOG_HOSTNAME, type LogSetup, startLogProcess } from "./log-service.ts";
import { machineLine } from "./machine.ts";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: "append" },
    driver: { type: "string", default: "sqlite" },
    entries: { type: "string", default: "30000" },
    warmup: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "128" },
    signers: { type: "string", default: "300" },
    size: { type: "string", default: "1000000" },
    proofs: { type: "string", default: "20000" },
    profile: { type: "string" },
  },
});

const count = (name: keyof typeof args, least = 1): number => {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < least)
    throw new Error(`--${name} must be an integer >= ${least}`);
  return value;
};
if (args.driver !== "sqlite" && args.driver !== "postgres") throw new Error("--driver is sqlite or postgres");
if (!["append", "million", "all"].includes(args.mode as string))
  throw new Error("--mode is append, million or all");

const TREE_ID = "1";

console.log(machineLine(args.driver as string));

/** A data directory and, for PostgreSQL, a throwaway cluster; removed afterwards. */
async function withStorage<T>(work: (setup: LogSetup) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), "signet-bench-log-"));
  let postgres: PostgresServer | undefined;
  try {
    if (args.driver === "postgres") postgres = await startPostgres();
    const shards = postgres && [{ treeId: TREE_ID, storage: postgres.url, state: "active" as const }];
    return await work({
      dataDir,
      ...(shards ? { shards } : {}),
      ...(args.profile ? { profileDir: args.profile } : {}),
    });
  } finally {
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function appendScenario(setup: LogSetup): Promise<void> {
  const entries = count("entries");
  const warmup = count("warmup", 0);
  const concurrency = count("concurrency");
  const bodies = Array.from({ length: warmup + entries }, (_, i) => proposal(signers, i));
  const log = await startLogProcess(setup);
  try {
    // A service runs for days: what it sustains is measured once its hot paths are compiled and
    // its heaps and caches have grown, as bench:ca measures the CA.
    if (warmup > 0) {
      const warm = await runAppendLoad({
        url: log.url,
        bodies: bodies.slice(0, warmup),
        concurrency,
        sampleEvery: 100,
      });
      if (warm.statuses["201"] !== warmup) throw new Error(`warm-up: ${JSON.stringify(warm.statuses)}`);
    }
    const before = await log.metrics();
    const batchesBefore = histogramTotals(before, "signet_log_batch_entries");
    const commitsBefore = histogramTotals(before, "signet_log_batch_commit_seconds");
    const serviceCpu = log.threadCpuSeconds();
    const clientCpu = process.cpuUsage();
    const result = await runAppendLoad({
      url: log.url,
      bodies: bodies.slice(warmup),
      concurrency,
      sampleEvery: 100,
    });
    const client = process.cpuUsage(clientCpu);
    const threads = Object.entries(log.threadCpuSeconds())
      .map(([name, seconds]) => [name, ((seconds - (serviceCpu[name] ?? 0)) * 1e6) / entries] as const)
      .filter(([, micros]) => micros >= 1)
      .sort((a, b) => b[1] - a[1]);
    const service = threads.reduce((sum, [, micros]) => sum + micros, 0);
    const clientMicros = (client.user + client.system) / entries;
    const after = await log.metrics();
    const batches = difference(histogramTotals(after, "signet_log_batch_entries"), batchesBefore);
    const commits = difference(histogramTotals(after, "signet_log_batch_commit_seconds"), commitsBefore);
    await checkEntries(log.url, LOG_HOSTNAME, result.samples);
    console.log(
      `append: ${entries} hashedrekord entries after ${warmup} unmeasured (${signers.certificates.length} certificates, round robin), ${concurrency} connections`,
    );
    console.log(`  ${result.entriesPerSecond.toFixed(0)} entries/s over ${result.seconds.toFixed(1)} s`);
    console.log(
      `  latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    );
    console.log(`  statuses ${JSON.stringify(result.statuses)}`);
    console.log(
      `  CPU per entry: service ${service.toFixed(0)} µs (${threads.map(([name, micros]) => `${name} ${micros.toFixed(0)}`).join(", ")}), load client ${clientMicros.toFixed(0)} µs ` +
        `(${(service + clientMicros).toFixed(0)} µs of ${((cpus().length * 1e6 * result.seconds) / entries).toFixed(0)} µs available on ${cpus().length} cores${args.driver === "postgres" ? "; PostgreSQL's own CPU not counted" : ""})`,
    );
    console.log(
      `  batches: ${batches.count}, mean ${(batches.sum / batches.count).toFixed(1)} entries, mean commit ${((commits.sum / commits.count) * 1000).toFixed(1)} ms`,
    );
    console.log(`  ${result.samples.length} sampled responses verified (proof, checkpoint, SET)`);
    console.log(`  peak RSS ${log.peakRssMiB().toFixed(0)} MiB`);
  } finally {
    await log.stop();
  }
}

function difference(after: { count: number; sum: number }, before: { count: number; sum: number }) {
  return { count: after.count - before.count, sum: after.sum - before.sum };
}

const signers = await createSigners(count("signers"));
if (args.mode !== "million") await withStorage(appendScenario);
if (args.mode !== "append") {
  await withStorage((setup) =>
    runMillion(setup, {
      size: count("size"),
      proofs: count("proofs"),
      concurrency: count("concurrency"),
      treeId: TREE_ID,
      signers,
    }),
  );
}
