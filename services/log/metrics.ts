import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { CtLog } from "./ct/log.ts";
import type { ShardSet } from "./shards.ts";
import type { BatchReport } from "./tree.ts";

/** What an operator watches on the log: appends, batching, tree growth and checkpoint freshness. */
export class LogMetrics {
  private readonly entries: Counter<"kind">;
  private readonly batchSize: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
    this.entries = new Counter({
      name: "signet_log_entries_appended_total",
      help: "Entries appended to the transparency log, by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: "signet_log_batch_entries",
      help: "Entries committed per batch (one transaction, one checkpoint signature)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    });
    this.commitSeconds = new Histogram({
      name: "signet_log_batch_commit_seconds",
      help: "Time to sequence, sign and durably commit one batch",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
  }

  appended(kind: string): void {
    this.entries.inc({ kind });
  }

  observeBatch(report: BatchReport): void {
    if (report.entries === 0) return;
    this.batchSize.observe(report.entries);
    this.commitSeconds.observe(report.milliseconds / 1000);
  }

  /** Tree sizes and checkpoint ages are read at scrape time, from storage, so every replica agrees. */
  watch(shards: ShardSet, ct: CtLog): void {
    const trees = () => [
      ...shards.shards.map((s) => ({ log: "rekor", tree: s.treeId, source: s.tree })),
      { log: "ct", tree: ct.treeId, source: ct.tree },
    ];
    new Gauge({
      name: "signet_log_tree_size",
      help: "Entries in each tree",
      labelNames: ["log", "tree"],
      registers: [this.registry],
      async collect() {
        for (const { log, tree, source } of trees()) this.set({ log, tree }, (await source.head()).size);
      },
    });
    new Gauge({
      name: "signet_log_checkpoint_age_seconds",
      help: "Seconds since each tree's latest signed checkpoint",
      labelNames: ["log", "tree"],
      registers: [this.registry],
      async collect() {
        for (const { log, tree, source } of trees()) {
          this.set({ log, tree }, (Date.now() - (await source.head()).timestamp) / 1000);
        }
      },
    });
  }
}
