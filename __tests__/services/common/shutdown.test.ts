import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const common = resolve(import.meta.dirname, "../../../services/common");

/**
 * A service process: GET /slow stays in flight until the process has received a signal, so the
 * test can send SIGTERM while a request is known to be running. Every step prints a JSON line.
 */
const serviceScript = `
import { createServer, listenAndServe, shutdownOnSignals } from ${JSON.stringify(`${common}/server.ts`)};
import { createLogger } from ${JSON.stringify(`${common}/logging.ts`)};
import { createRegistry } from ${JSON.stringify(`${common}/metrics.ts`)};

const logger = createLogger("test", "info");
const hang = process.argv[2] === "hang";
const server = createServer({ name: "test", logger, registry: createRegistry("test") });
let signalled;
const signal = new Promise((resolve) => { signalled = resolve; });
process.once("SIGTERM", () => signalled());
server.get("/slow", async () => {
  logger.info("in flight");
  await signal;
  if (hang) await new Promise(() => {});
  await new Promise((resolve) => setImmediate(resolve));
  return { finished: true };
});
shutdownOnSignals(server, async () => { logger.info("onClose ran"); }, logger);
await listenAndServe(server, { host: "127.0.0.1", port: 0 });
`;

interface Service {
  child: ChildProcess;
  messages: string[];
  waitFor(message: string): Promise<Record<string, any>>;
  exited: Promise<number | null>;
}

function startService(mode: "finish" | "hang"): Service {
  const dir = mkdtempSync(join(tmpdir(), "signet-shutdown-"));
  const script = join(dir, "service.mts");
  writeFileSync(script, serviceScript);
  const child = spawn(process.execPath, [script, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const messages: string[] = [];
  const waiters: Array<{ message: string; resolve: (line: Record<string, any>) => void }> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    const line = JSON.parse(text);
    messages.push(line.message);
    for (const waiter of waiters.filter((w) => w.message === line.message)) waiter.resolve(line);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    messages,
    exited,
    waitFor: (message) => new Promise((resolve) => waiters.push({ message, resolve })),
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("shutdownOnSignals", () => {
  it("finishes in-flight requests, then runs onClose and exits 0 on SIGTERM", async () => {
    const service = startService("finish");
    const { url } = await service.waitFor("listening");
    const inFlight = get(`${url}/slow`);
    await service.waitFor("in flight");
    service.child.kill("SIGTERM");
    const response = await inFlight;
    expect(response).toEqual({ status: 200, body: '{"finished":true}' });
    expect(await service.exited).toBe(0);
    const order = service.messages.filter((m) => ["request", "onClose ran", "stopped"].includes(m));
    expect(order).toEqual(["request", "onClose ran", "stopped"]);
    await expect(get(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("exits at once with status 1 on a second signal", async () => {
    const service = startService("hang");
    const { url } = await service.waitFor("listening");
    get(`${url}/slow`).catch(() => {});
    await service.waitFor("in flight");
    service.child.kill("SIGTERM");
    await service.waitFor("shutting down");
    service.child.kill("SIGINT");
    expect(await service.exited).toBe(1);
    expect(service.messages).not.toContain("onClose ran");
  });
});
