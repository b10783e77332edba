/**
 * V8 flags each service's node process starts with. node refuses --single-threaded-gc in
 * NODE_OPTIONS, so the image's ENTRYPOINT passes them all (a test holds the Dockerfile to this
 * list), and the benchmarks start the services with them: what they measure is what the cluster
 * runs.
 */
export const serviceNodeFlags: Readonly<Record<"ca" | "log" | "prober", readonly string[]>> = {
  // --single-threaded-gc: a pod has a core or two, which V8's parallel GC helpers share with the
  // event loop and the worker threads, and a pause lasts until the last helper has been
  // scheduled. One GC thread per isolate gave shorter pauses for less CPU.
  // --max-semi-space-size: unbounded, V8 grows the young generation to 64 MiB semi-spaces under
  // load. 16 MiB took the CA's benchmark peak RSS from ~390 to ~310 MiB (its pod has 512 MiB)
  // with p99 at 500 requests/s still under 50 ms; 8 MiB kept the log's peak RSS at a million
  // entries at 179 MiB instead of 190 MiB, for no throughput lost (BENCHMARKS.md, 2026-12-08).
  ca: ["--single-threaded-gc", "--max-semi-space-size=16"],
  log: ["--single-threaded-gc", "--max-semi-space-size=8"],
  prober: [],
};
