/**
 * The V8 flags each service runs with: NODE_OPTIONS in its ConfigMap. The benchmarks start the
 * services with the same flags, so that what they measure is what the cluster runs.
 */
export const serviceNodeOptions = {
  // A pod has a core or two, which V8's parallel GC helpers share with the event loop and the
  // worker threads; a pause lasts until the last helper has been scheduled. One GC thread per
  // isolate shortened the pauses and cost less CPU (BENCHMARKS.md, 2026-12-08).
  ca: "--single-threaded-gc",
  log: "--single-threaded-gc",
} as const;
