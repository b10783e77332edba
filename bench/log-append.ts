// Sustained appends through the HTTP API: each connection posts the next unused proposal as soon
// as its previous one is answered.
import { httpRequest, percentiles, runClosedLoop } from "./log-http.ts";

export interface AppendLoad {
  url: string;
  bodies: readonly Buffer[];
  concurrency: number;
  /** Every `sampleEvery`-th 201 body is kept for checking after the run. */
  sampleEvery: number;
}

export interface AppendResult {
  entriesPerSecond: number;
  seconds: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
  samples: string[];
}

export async function runAppendLoad(load: AppendLoad): Promise<AppendResult> {
  const url = new URL(load.url);
  const requests = load.bodies.map((body) => httpRequest(url, "POST", "/api/v1/log/entries", body));
  let created = 0;
  const samples: string[] = [];
  const result = await runClosedLoop(url, requests, load.concurrency, (response) => {
    if (response.status === 201 && created++ % load.sampleEvery === 0) samples.push(response.body.toString());
  });
  return {
    entriesPerSecond: created / result.seconds,
    seconds: result.seconds,
    latencyMs: percentiles(result.latencies),
    statuses: result.statuses,
    samples,
  };
}
