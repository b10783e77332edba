import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProber, type Prober } from "../../../services/prober/app.ts";
import { loadProberConfig } from "../../../services/prober/config.ts";
import { formatReport, type ProbeResult, type RoundReport } from "../../../services/prober/report.ts";
import { proberEmail, startInstance, type TestInstance } from "./support.ts";

const main = resolve(import.meta.dirname, "../../../services/prober/main.ts");

let instance: TestInstance;
let prober: Prober;
let logStopped = false;

beforeAll(async () => {
  instance = await startInstance();
  prober = await createProber(loadProberConfig(instance.env), { logger: false });
});

afterAll(async () => {
  await prober?.stop();
  if (!logStopped) await instance?.log.close();
  await Promise.all([instance?.ca.close(), instance?.oidc.stop()]);
});

/** `node services/prober/main.ts --once` against the instance; the event loop stays free to serve it. */
function runOnce(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [main, "--once"], { env: { ...process.env, ...env } }, (error, stdout) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout });
    });
  });
}

const line = (report: RoundReport, service: string, endpoint: string, method?: string) =>
  report.results.find((r) => r.service === service && r.endpoint === endpoint && r.method === method);

async function metricsText(): Promise<string> {
  const response = await prober.server.inject({ url: "/metrics" });
  expect(response.statusCode).toBe(200);
  return response.body;
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const row = text
    .split("\n")
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    );
  return row === undefined ? undefined : Number(row.slice(row.lastIndexOf(" ") + 1));
}

describe("a round against a healthy instance", () => {
  let report: RoundReport;

  beforeAll(async () => {
    report = await prober.runRound();
  });

  it("passes, every probe ok", () => {
    expect(report.ok, formatReport(report)).toBe(true);
    expect(report.results.every((r: ProbeResult) => r.ok)).toBe(true);
  });

  it("signs and attests with the real client, and both bundles verify", () => {
    for (const step of ["sign (hashedrekord)", "verify (hashedrekord)", "attest (dsse)", "verify (dsse)"]) {
      expect(line(report, "client", step)?.ok, step).toBe(true);
    }
    // The client's own requests are timed and attributed to the service they went to.
    expect(line(report, "ca", "/api/v2/signingCert", "POST")?.status).toBe(201);
    expect(line(report, "rekor", "/api/v1/log/entries", "POST")?.status).toBe(201);
    expect(line(report, "tsa", "/api/v1/timestamp", "POST")?.status).toBe(200);
  });

  it("reads every endpoint clients use", () => {
    const reads: Array<[string, string, string]> = [
      ["ca", "GET", "/api/v2/configuration"],
      ["ca", "GET", "/api/v2/trustBundle"],
      ["ca", "GET", "/api/v1/rootCert"],
      ["rekor", "GET", "/api/v1/log"],
      ["rekor", "GET", "/api/v1/log/publicKey"],
      ["rekor", "GET", "/api/v1/log/entries"],
      ["rekor", "GET", "/api/v1/log/proof"],
      ["rekor", "POST", "/api/v1/log/entries/retrieve"],
      ["rekor", "POST", "/api/v1/index/retrieve"],
      ["ctlog", "GET", "/ct/v1/get-sth"],
      ["tsa", "GET", "/api/v1/timestamp/certchain"],
      ["tsa", "POST", "/api/v1/timestamp"],
    ];
    for (const [service, method, endpoint] of reads) {
      expect(line(report, service, endpoint, method)?.ok, `${method} ${endpoint}`).toBe(true);
    }
  });

  it("verifies the log's signed checkpoint", () => {
    expect(report.results.some((r) => r.service === "monitor" && r.endpoint.startsWith("checkpoint"))).toBe(
      true,
    );
  });
});

describe("/metrics", () => {
  it("exposes sigstore-probers' series with their labels", async () => {
    const text = await metricsText();
    const host = new URL(instance.ca.url).host;
    const signing = { endpoint: "/api/v2/signingCert", host, status_code: "201", method: "POST" };
    expect(sample(text, "api_endpoint_latency", { ...signing, quantile: "0.999" })).toBeGreaterThan(0);
    expect(sample(text, "api_endpoint_latency_count", signing)).toBeGreaterThanOrEqual(2);
    expect(sample(text, "api_endpoint_latency_histogram_bucket", { ...signing, le: "1000" })).toBeGreaterThan(
      0,
    );
    expect(sample(text, "api_endpoint_latency_count", { endpoint: "/api/v1/log", method: "GET" })).toBe(1);
    expect(sample(text, "verification", { verified: "true" })).toBe(2);
    expect(sample(text, "verification", { verified: "false" })).toBe(0);
    expect(sample(text, "sigstore_prober_build_info")).toBe(1);
    expect(sample(text, "log_consistency_failures_total")).toBe(0);
    expect(sample(text, "probe_round_success")).toBe(1);
    expect(sample(text, "probe_last_success_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    const status = await prober.server.inject({ url: "/healthz" });
    expect(status.statusCode).toBe(200);
  });

  it("counts a consistency check once the monitor has a checkpoint to compare with", async () => {
    const second = await prober.runRound();
    expect(second.ok, formatReport(second)).toBe(true);
    const text = await metricsText();
    expect(sample(text, "log_consistency_checks_total")).toBe(1);
    expect(sample(text, "log_consistency_failures_total")).toBe(0);
  });
});

describe("a certificate for another identity", () => {
  it('fails verification and counts verified="false"', async () => {
    const strict = await createProber(
      loadProberConfig({ ...instance.env, SIGNET_PROBER_IDENTITY: "mallory@signet.test" }),
      { logger: false },
    );
    const report = await strict.runRound();
    expect(report.ok).toBe(false);
    expect(line(report, "client", "verify (hashedrekord)")?.error).toMatch(/UNTRUSTED_SIGNER_ERROR/);
    expect(line(report, "client", "verify (dsse)")?.error).toMatch(
      new RegExp(proberEmail.replace(".", "\\.")),
    );
    const text = (await strict.server.inject({ url: "/metrics" })).body;
    expect(sample(text, "verification", { verified: "false" })).toBe(2);
    expect(sample(text, "probe_round_success")).toBe(0);
  });
});

describe("main.ts --once", () => {
  it("exits 0 after a passing round and prints one line per probe", async () => {
    const { code, stdout } = await runOnce(instance.env);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^ok +ca +POST +\S+ +\/api\/v2\/signingCert +201 /m);
    expect(stdout).toMatch(/^round passed: \d+ probes/m);
  });

  it("with the log stopped, fails and names the endpoints that failed", async () => {
    await instance.log.close();
    logStopped = true;
    const report = await prober.runRound();
    expect(report.ok).toBe(false);
    const info = line(report, "rekor", "/api/v1/log", "GET");
    expect(info?.ok).toBe(false);
    expect(info?.error).toMatch(/ECONNREFUSED/);
    expect(line(report, "client", "sign (hashedrekord)")?.ok).toBe(false);
    expect(line(report, "ca", "/api/v2/configuration", "GET")?.ok).toBe(true);

    const { code, stdout } = await runOnce(instance.env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL +rekor +GET +\S+ +\/api\/v1\/log +- .*ECONNREFUSED/m);
    expect(stdout).toMatch(/^FAIL +ctlog +GET +\S+ +\/ct\/v1\/get-sth /m);
    expect(stdout).toMatch(/^round FAILED: \d+ of \d+ probes failed/m);
  });
});
