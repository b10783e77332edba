// The log service under test, as its container runs it: `node services/log/main.ts` in a child
// process, configured only through the environment, its JSON log written to a file.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { serviceNodeFlags } from "../services/node-flags.ts";

import { cpuSeconds, freePort, peakRss, stop } from "./proc.ts";

const root = resolve(import.meta.dirname, "..");

export interface LogProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyAfterMs: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  /** CPU time the process has used so far (user + system, all threads), in seconds. */
  cpuSeconds(): number;
  /** The same, by thread name (MainThread, worker names, V8Worker for V8's and libuv's helpers). */
  threadCpuSeconds(): Record<string, number>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface LogSetup {
  dataDir: string;
  /** SIGNET_LOG_SHARDS; the default local SQLite shard when absent. */
  shards?: Array<{ treeId: string; storage: string; state: "active" | "frozen" }>;
  /** Writes a V8 CPU profile of the service into this directory when it exits. */
  profileDir?: string;
}

export const LOG_HOSTNAME = "127.0.0.1";

export async function startLogProcess(setup: LogSetup): Promise<LogProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    SIGNET_LOG_HOST: "127.0.0.1",
    SIGNET_LOG_PORT: String(port),
    SIGNET_LOG_HOSTNAME: LOG_HOSTNAME,
    SIGNET_LOG_DATA_DIR: setup.dataDir,
    ...(setup.shards ? { SIGNET_LOG_SHARDS: JSON.stringify(setup.shards) } : {}),
  };
  const log = openSync(join(setup.dataDir, "service.log"), "a");
  const started = performance.now();
  const profile = setup.profileDir ? ["--cpu-prof", "--cpu-prof-dir", setup.profileDir] : [];
  const child = spawn(
    process.execPath,
    [...serviceNodeFlags.log, ...profile, join(root, "services/log/main.ts")],
    {
      cwd: root,
      env,
      stdio: ["ignore", log, log],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, setup.dataDir);
  const readyAfterMs = performance.now() - started;
  const pid = child.pid as number;
  return {
    url,
    pid,
    readyAfterMs,
    peakRssMiB: () => peakRss(pid),
    cpuSeconds: () => cpuSeconds(`/proc/${pid}`),
    threadCpuSeconds: () => threadCpuSeconds(pid),
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: () => stop(child),
  };
}

async function waitUntilReady(url: string, child: ChildProcess, dataDir: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) {
      const log = readFileSync(join(dataDir, "service.log"), "utf8");
      throw new Error(`the log exited with ${child.exitCode} before it was ready:\n${log}`);
    }
    const status = await fetch(`${url}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((done) => setTimeout(done, 5));
  }
  child.kill("SIGKILL");
  throw new Error("the log was not ready within 60 s");
}

function threadCpuSeconds(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const name = readFileSync(`/proc/${pid}/task/${task}/comm`, "utf8").trim();
    byName[name] = (byName[name] ?? 0) + cpuSeconds(`/proc/${pid}/task/${task}`);
  }
  return byName;
}

/** Sum and count of a Prometheus histogram in a scrape (all label sets together). */
export function histogramTotals(scrape: string, name: string): { sum: number; count: number } {
  const total = (suffix: string) =>
    scrape
      .split("\n")
      .filter((line) => line.startsWith(`${name}_${suffix}`))
      .reduce((n, line) => n + Number(line.split(" ").at(-1)), 0);
  return { sum: total("sum"), count: total("count") };
}

/**
 * The bucket counts of one route's `http_request_duration_seconds` (services/common/server.ts),
 * all statuses and methods together, by upper bound in seconds; subtract two scrapes to get a
 * phase of a run.
 */
export function routeDurationBuckets(scrape: string, route: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of scrape.split("\n")) {
    if (!line.startsWith("http_request_duration_seconds_bucket{") || !line.includes(`route="${route}"`))
      continue;
    const bound = /le="([^"]+)"/.exec(line)?.[1];
    if (bound === undefined) continue;
    const le = bound === "+Inf" ? Number.POSITIVE_INFINITY : Number(bound);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return buckets;
}

/** The smallest bucket bound under which a share `q` of the requests between two scrapes fell. */
export function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le;
  }
  return Number.POSITIVE_INFINITY;
}
