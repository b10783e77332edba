/**
 * V8 flags each service's node process starts with. node refuses them in NODE_OPTIONS, so the
 * image's ENTRYPOINT passes them (a test holds the Dockerfile to this list), and the benchmarks
 * start the services with them: what they measure is what the cluster runs.
 */
export const serviceNodeFlags: Readonly<Record<"ca" | "log" | "prober", readonly string[]>> = {
  // A pod has a core or two, which V8's parallel GC helpers share with the event loop and the
  // worker threads, and a pause lasts until the last helper has been scheduled. One GC thread per
  // isolate gave shorter pauses for less CPU (BENCHMARKS.md, 2026-12-08).
  ca: ["--single-threaded-gc"],
  // Under load V8 grows the young generation to 64 MiB semi-spaces on this machine; 8 MiB kept the
  // log's peak RSS at a million entries at 179 MiB (190 MiB unbounded) for no throughput lost.
  log: ["--single-threaded-gc", "--max-semi-space-size=8"],
  prober: [],
};
