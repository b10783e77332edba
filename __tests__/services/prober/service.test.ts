import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProber } from "../../../services/prober/app.ts";
import { loadProberConfig } from "../../../services/prober/config.ts";
import type { RoundReport } from "../../../services/prober/report.ts";
import { startInstance, type TestInstance } from "./support.ts";

const main = resolve(import.meta.dirname, "../../../services/prober/main.ts");

let instance: TestInstance;

beforeAll(async () => {
  instance = await startInstance();
});

afterAll(async () => {
  await instance?.close();
});

async function metricValue(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const row = text.split("\n").find((l) => l.startsWith(`${name} `));
  return row === undefined ? undefined : Number(row.split(" ")[1]);
}

describe("the prober as a service", () => {
  it("runs rounds at its interval, serves /metrics over HTTP, and stops cleanly", async () => {
    const reports: RoundReport[] = [];
    let secondRound: () => void = () => {};
    const twoRounds = new Promise<void>((done) => {
      secondRound = done;
    });
    const prober = await createProber(
      loadProberConfig({
        ...instance.env,
        SIGNET_PROBER_INTERVAL_SECONDS: "0.1",
        SIGNET_PROBER_WRITE: "false",
      }),
      {
        logger: false,
        onRound: (report) => {
          reports.push(report);
          if (reports.length === 2) secondRound();
        },
      },
    );
    const url = await prober.start();
    await twoRounds;
    expect(reports.every((r) => r.ok)).toBe(true);
    expect(await metricValue(url, "probe_round_success")).toBe(1);
    await prober.stop();
    const rounds = reports.length;
    await new Promise((wait) => setTimeout(wait, 300));
    expect(reports.length).toBe(rounds);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("main.ts serves metrics until SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...instance.env, SIGNET_PROBER_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const lines: Array<Record<string, unknown>> = [];
    const firstRound = new Promise<{ url: string; round: Record<string, unknown> }>((done) => {
      let buffered = "";
      let url = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const complete = buffered.split("\n");
        buffered = complete.pop() ?? "";
        for (const text of complete) {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (line.message === "listening") url = String(line.url);
          if (String(line.message).startsWith("round ") && url) done({ url, round: line });
        }
      });
    });
    try {
      const early = exited.then((code) => Promise.reject(new Error(`prober exited with ${code}`)));
      const { url, round } = await Promise.race([firstRound, early]);
      expect(round.message, JSON.stringify(round.failed)).toBe("round passed");
      expect(await metricValue(url, "probe_round_success")).toBe(1);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(lines.some((l) => l.message === "stopped")).toBe(true);
    } finally {
      // A failed assertion must not leave the prober running after the test.
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
