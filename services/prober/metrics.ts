import { Counter, Gauge, Histogram, type Registry, Summary } from "prom-client";
import { createRegistry } from "../common/metrics.ts";

export interface LatencyLabels {
  endpoint: string;
  host: string;
  status_code: string;
  method: string;
}

const latencyLabels = ["endpoint", "host", "status_code", "method"] as const;

/**
 * The prober's series. Names, labels, quantiles and buckets are sigstore-probers'
 * (prober/prometheus.go), so its dashboards and alert policies apply unchanged.
 */
export class ProberMetrics {
  readonly registry: Registry;
  private readonly latency: Summary<(typeof latencyLabels)[number]>;
  private readonly latencyHistogram: Histogram<(typeof latencyLabels)[number]>;
  private readonly verifications: Counter<"verified">;
  private readonly consistencyChecks: Counter;
  private readonly consistencyFailures: Counter;
  private readonly roundSuccess: Gauge;
  private readonly lastSuccess: Gauge;

  constructor() {
    // `sigstore_prober_build_info`, as upstream names it.
    this.registry = createRegistry("sigstore_prober");
    const registers = [this.registry];
    this.latency = new Summary({
      name: "api_endpoint_latency",
      help: "API endpoint latency distributions (milliseconds).",
      labelNames: latencyLabels,
      percentiles: [0.5, 0.9, 0.99, 0.999],
      // client_golang's summary defaults: a 10-minute window in 5 buckets.
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers,
    });
    this.latencyHistogram = new Histogram({
      name: "api_endpoint_latency_histogram",
      help: "API endpoint latency distribution across the CA, log, CT log, TSA and TUF (milliseconds).",
      labelNames: latencyLabels,
      buckets: [0, 200, 400, 600, 800, 1000],
      registers,
    });
    this.verifications = new Counter({
      name: "verification",
      help: "Bundles from the write probe, by whether they verified against the trusted root.",
      labelNames: ["verified"],
      registers,
    });
    // Seeded so an alert on verified="false" has a series before the first failure.
    for (const verified of ["true", "false"]) this.verifications.inc({ verified }, 0);
    this.consistencyChecks = new Counter({
      name: "log_consistency_checks_total",
      help: "Checkpoints the log monitor compared with the last one it saw.",
      registers,
    });
    this.consistencyFailures = new Counter({
      name: "log_consistency_failures_total",
      help: "Checkpoints inconsistent with the last one seen: the log showed a split view.",
      registers,
    });
    this.roundSuccess = new Gauge({
      name: "probe_round_success",
      help: "1 when every probe of the last round passed, else 0.",
      registers,
    });
    this.lastSuccess = new Gauge({
      name: "probe_last_success_timestamp_seconds",
      help: "Unix time at which the last fully passing round finished.",
      registers,
    });
  }

  observeLatency(labels: LatencyLabels, ms: number): void {
    this.latency.observe(labels, ms);
    this.latencyHistogram.observe(labels, ms);
  }

  verification(verified: boolean): void {
    this.verifications.inc({ verified: String(verified) });
  }

  consistencyChecked(consistent: boolean): void {
    this.consistencyChecks.inc();
    if (!consistent) this.consistencyFailures.inc();
  }

  roundFinished(ok: boolean, at: Date): void {
    this.roundSuccess.set(ok ? 1 : 0);
    if (ok) this.lastSuccess.set(at.getTime() / 1000);
  }
}
