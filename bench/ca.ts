// CA benchmark (issue 4, "Performance"). Usage:
//   npm run bench:ca -- [--requests N] [--concurrency C] [--rate R] [--rate-seconds S] [--settle-seconds T]
//                       [--identities I] [--warmup W] [--profile DIR]
// The log (its CT log issues the SCTs) and the CA run as child processes configured only by their
// environment, beside an OIDC issuer in this process; tokens, ephemeral keys and proofs of
// possession are made before the clock starts. Then:
//   throughput: N sigstore-js signingCert requests over C keep-alive connections (closed loop);
//   fixed rate: R requests/s for S seconds (open loop), latency counted from when each was due.
// Sampled certificates are checked as sigstore-js would (chain, identity, key, SCT signature).
// `--profile DIR` writes V8 CPU profiles of both services when they exit (`node --cpu-prof`).
// Results go into BENCHMARKS.md by hand, with the machine line printed first.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startOidcIssuer } from "../__tests__/support/oidc.ts";
import { checkCertificates } from "./ca-check.ts";
import { type LoadResult, runClosedLoop, runFixedRate } from "./ca-load.ts";
import { prepareRequests, type SigningRequest } from "./ca-requests.ts";
import { type CaStack, startCaStack } from "./ca-stack.ts";
import { bucketQuantile, routeDurationBuckets } from "./log-service.ts";
import { machineLine } from "./machine.ts";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "30000" },
    concurrency: { type: "string", default: "64" },
    rate: { type: "string", default: "500" },
    "rate-seconds": { type: "string", default: "20" },
    "settle-seconds": { type: "string", default: "5" },
    identities: { type: "string", default: "1000" },
    warmup: { type: "string", default: "3000" },
    profile: { type: "string" },
  },
});

const count = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};

const requests = count("requests");
const concurrency = count("concurrency");
const rate = count("rate");
const rateRequests = rate * count("rate-seconds");
// The open loop first runs this long at its rate unrecorded: the closed loop before it leaves both
// services hot (a garbage-collection backlog, deoptimized code), and that recovery is not the
// steady state a rate target is about.
const settleSeconds = Number(args["settle-seconds"]);
if (!Number.isSafeInteger(settleSeconds) || settleSeconds < 0)
  throw new Error("--settle-seconds must be a whole number of seconds");
const settleRequests = rate * settleSeconds;
const warmup = count("warmup");

console.log(machineLine("load generator, CA, log and OIDC issuer all on this machine"));

const dataDir = mkdtempSync(join(tmpdir(), "signet-bench-ca-"));
const issuer = await startOidcIssuer();
let stack: CaStack | undefined;
try {
  stack = await startCaStack({
    dataDir,
    issuerUrl: issuer.url,
    ...(args.profile ? { profileDir: args.profile } : {}),
  });
  const host = new URL(stack.ca.url).host;
  const preparing = performance.now();
  const all = await prepareRequests(
    issuer,
    host,
    warmup + requests + settleRequests + rateRequests,
    count("identities"),
  );
  console.log(
    `prepared ${all.length} requests (${count("identities")} identities, one ephemeral P-256 key each) in ${((performance.now() - preparing) / 1000).toFixed(1)} s`,
  );
  const batch = (from: number, size: number) => all.slice(from, from + size);
  const raw = (list: SigningRequest[]) => list.map((request) => request.raw);
  const check = (result: LoadResult, offset: number) =>
    checkCertificates(
      result.samples.map((sample) => ({ ...sample, index: sample.index + offset })),
      all,
      (stack as CaStack).chain,
      (stack as CaStack).ctPublicKeyPem,
      issuer.url,
    );

  // Warm-up: JIT, the issuer's discovery document and keys fetched and cached, connections to the log.
  check(await runClosedLoop(stack.ca.url, raw(batch(0, warmup)), concurrency, 100), 0);

  const cpu = cpuMeter(stack);
  const closed = await runClosedLoop(stack.ca.url, raw(batch(warmup, requests)), concurrency, 100);
  const used = cpu.read();
  check(closed, warmup);
  report(`throughput: ${requests} requests, ${concurrency} connections (closed loop)`, closed);
  console.log(
    `  CPU per certificate: CA ${used.ca} µs, log ${used.log} µs, load generator + issuer ${used.client} µs ` +
      `(${used.total} µs of ${((cpus().length * 1e6 * closed.seconds) / closed.completed).toFixed(0)} µs available on ${cpus().length} cores)`,
  );

  const endpoints = [stack.ca.url, stack.log.url];
  const scrape = () => Promise.all(endpoints.map(async (url) => (await fetch(`${url}/metrics`)).text()));
  if (settleRequests > 0) {
    const settled = await runFixedRate(
      stack.ca.url,
      raw(batch(warmup + requests, settleRequests)),
      rate,
      100,
    );
    check(settled, warmup + requests);
  }
  const measured = warmup + requests + settleRequests;
  const [caBefore, logBefore] = await scrape();
  const open = await runFixedRate(stack.ca.url, raw(batch(measured, rateRequests)), rate, 100);
  const [caAfter, logAfter] = await scrape();
  check(open, measured);
  report(
    `fixed rate: ${rate} requests/s for ${count("rate-seconds")} s (open loop, after ${settleSeconds} s at that rate unrecorded)`,
    open,
  );
  // What the services measured themselves over the phase, from their own histograms (bucket bounds).
  for (const [name, route, before, after] of [
    ["CA POST /api/v2/signingCert", "/api/v2/signingCert", caBefore, caAfter],
    ["log POST /ct/v1/add-pre-chain", "/ct/v1/add-pre-chain", logBefore, logAfter],
  ] as const) {
    const [b, a] = [routeDurationBuckets(before ?? "", route), routeDurationBuckets(after ?? "", route)];
    const ms = (q: number) => `≤ ${bucketQuantile(b, a, q) * 1000} ms`;
    console.log(`  ${name} as the service timed it: p50 ${ms(0.5)}, p99 ${ms(0.99)}`);
  }
  console.log(
    `peak RSS: CA ${stack.ca.peakRssMiB().toFixed(0)} MiB, log ${stack.log.peakRssMiB().toFixed(0)} MiB`,
  );
  const sampled = closed.samples.length + open.samples.length;
  console.log(`${sampled} sampled certificates checked (chain, identity, key, SCT signature)`);
} finally {
  await stack?.stop();
  await issuer.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

function report(title: string, result: LoadResult): void {
  const errors = result.completed - (result.statuses["201"] ?? 0);
  console.log(title);
  console.log(`  ${result.perSecond.toFixed(0)} certificates/s over ${result.seconds.toFixed(1)} s`);
  console.log(
    `  latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
  );
  console.log(`  errors ${errors}; statuses ${JSON.stringify(result.statuses)}`);
  if (result.sendLagMs) {
    const lag = result.sendLagMs;
    console.log(
      `  of which the generator's send lag: p50 ${lag.p50} ms, p99 ${lag.p99} ms, max ${lag.max} ms`,
    );
  }
}

/** CPU time of each process over an interval, per certificate issued in it. */
function cpuMeter(services: CaStack) {
  const start = { ca: services.ca.cpuSeconds(), log: services.log.cpuSeconds(), client: process.cpuUsage() };
  return {
    read() {
      const ca = services.ca.cpuSeconds() - start.ca;
      const log = services.log.cpuSeconds() - start.log;
      const usage = process.cpuUsage(start.client);
      const client = (usage.user + usage.system) / 1e6;
      const per = (seconds: number) => ((seconds * 1e6) / requests).toFixed(0);
      return { ca: per(ca), log: per(log), client: per(client), total: per(ca + log + client) };
    },
  };
}
