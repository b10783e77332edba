import { describeError } from "./errors.ts";
import type { ProberMetrics } from "./metrics.ts";
import { type ObservedCall, observeCalls } from "./observe.ts";
import type { ProbeResult, RoundReport } from "./report.ts";

export interface ProbeRequest {
  method?: "GET" | "POST";
  url: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Throws (with a message for the report) when a 2xx response is still wrong. */
  check?: (response: ProbeResponse) => void;
}

export interface ProbeResponse {
  status: number;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/** TUF metadata and targets are versioned or content-addressed; one series per file kind. */
function endpointOf(url: URL): string {
  return url.pathname
    .replace(/\/\d+\.([^/]+)$/, "/{version}.$1")
    .replace(/\/[0-9a-f]{64}\.([^/]+)$/, "/{digest}.$1");
}

/** Which service a request made by the signing client went to, by the APIs' well-known paths. */
function serviceOfPath(path: string): string {
  if (path.includes("/ct/v1/")) return "ctlog";
  if (path.includes("/api/v1/timestamp")) return "tsa";
  if (path.includes("/api/v1/log") || path.includes("/api/v1/index")) return "rekor";
  if (/\/signingCert$|\/api\/v2\/(configuration|trustBundle)$|\/api\/v1\/rootCert$/.test(path)) return "ca";
  return "client";
}

function toResponse(status: number, body: Buffer): ProbeResponse {
  return {
    status,
    body,
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8")) as unknown,
  };
}

/** Why a non-2xx answer failed, with the {message} our services put in error bodies. */
function statusError(response: ProbeResponse): string {
  let message = "";
  try {
    const body = response.json() as { message?: unknown };
    if (typeof body.message === "string") message = `: ${body.message}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${response.status}${message.slice(0, 200)}`;
}

/**
 * One round's results as they happen: every probe becomes a report line, and every HTTP answer
 * an `api_endpoint_latency` observation.
 */
export class Round {
  readonly startedAt = new Date();
  private readonly started = performance.now();
  private readonly results: ProbeResult[] = [];
  private readonly metrics: ProberMetrics;
  private readonly timeoutMs: number;

  constructor(metrics: ProberMetrics, timeoutMs: number) {
    this.metrics = metrics;
    this.timeoutMs = timeoutMs;
  }

  /** Runs a step that is not one request; its value, or undefined when it threw. */
  async step<T>(service: string, name: string, run: () => Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    try {
      const value = await run();
      this.results.push({ ok: true, service, endpoint: name, ms: performance.now() - started });
      return value;
    } catch (error) {
      const ms = performance.now() - started;
      this.results.push({ ok: false, service, endpoint: name, ms, error: describeError(error) });
      return undefined;
    }
  }

  /** A failed step that never ran, because what it needed is missing. */
  skipped(service: string, name: string, reason: string): void {
    this.results.push({ ok: false, service, endpoint: name, ms: 0, error: reason });
  }

  /** Runs a client library call, recording each HTTP request it makes. */
  observe<T>(run: () => Promise<T>, service?: string): Promise<T> {
    // The library judges a 4xx (TUF's 404 for the next root version ends its update; a refused
    // entry fails the step anyway). A server error fails the round even when a retry succeeded.
    return observeCalls((call) => {
      const answered = call.status !== undefined && call.status < 500 && call.error === undefined;
      this.recordCall(call, service ?? serviceOfPath(call.url.pathname), answered);
    }, run);
  }

  /** One HTTP probe; the response when it answered 2xx and passed its check. */
  async request(service: string, probe: ProbeRequest): Promise<ProbeResponse | undefined> {
    const url = new URL(probe.url);
    const method = probe.method ?? (probe.json === undefined ? "GET" : "POST");
    const started = performance.now();
    try {
      const answer = await fetch(url, {
        method,
        ...(probe.json === undefined
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify(probe.json) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const ms = performance.now() - started;
      const response = toResponse(answer.status, Buffer.from(await answer.arrayBuffer()));
      const error = answer.ok ? checkError(probe, response) : statusError(response);
      const call = { method, url, status: response.status, ms, ...(error ? { error } : {}) };
      this.recordCall(call, service, error === undefined);
      return error ? undefined : response;
    } catch (error) {
      const ms = performance.now() - started;
      this.recordCall({ method, url, ms, error: describeError(error) }, service, false);
      return undefined;
    }
  }

  finish(): RoundReport {
    const results = [...this.results];
    return {
      ok: results.every((r) => r.ok),
      startedAt: this.startedAt,
      ms: performance.now() - this.started,
      results,
    };
  }

  private recordCall(call: ObservedCall, service: string, ok: boolean): void {
    const endpoint = endpointOf(call.url);
    const host = call.url.host;
    const { method, status, ms } = call;
    this.results.push({ ok, service, method, endpoint, host, ms, ...optional(status, call.error) });
    // Like sigstore-probers, only answered requests are observed; a refused connection shows as
    // a failed round and, over time, as absent data.
    if (status !== undefined) {
      this.metrics.observeLatency({ endpoint, host, method, status_code: String(status) }, ms);
    }
  }
}

function optional(status: number | undefined, error: string | undefined): Partial<ProbeResult> {
  return { ...(status === undefined ? {} : { status }), ...(error === undefined ? {} : { error }) };
}

function checkError(probe: ProbeRequest, response: ProbeResponse): string | undefined {
  try {
    probe.check?.(response);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}
