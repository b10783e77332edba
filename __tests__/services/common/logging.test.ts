import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import packageJson from "../../../package.json" with { type: "json" };
import { createLogger, withoutSecrets } from "../../../services/common/logging.ts";
import { createRegistry } from "../../../services/common/metrics.ts";

function capture(): { lines: Array<Record<string, any>>; stream: Writable } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("writes JSON lines with the service name, a message and a Cloud Logging severity", () => {
    const { lines, stream } = capture();
    const logger = createLogger("signet-log", "info", stream);
    logger.info({ size: 3 }, "checkpoint signed");
    logger.warn("slow batch");
    logger.fatal("storage lost");
    logger.debug("not written at info");
    expect(lines.map((line) => [line.severity, line.message])).toEqual([
      ["INFO", "checkpoint signed"],
      ["WARNING", "slow batch"],
      ["CRITICAL", "storage lost"],
    ]);
    expect(lines[0]).toMatchObject({ name: "signet-log", size: 3 });
    expect(Number.isNaN(Date.parse(lines[0]?.time))).toBe(false);
  });

  it("redacts tokens, passwords and authorization headers", () => {
    const { lines, stream } = capture();
    const logger = createLogger("signet-ca", "info", stream);
    logger.info({
      token: "t-1",
      request: { token: "t-2", oidcIdentityToken: "t-3" },
      db: { password: "t-4" },
      req: { headers: { authorization: "Bearer t-5", cookie: "t-6", host: "ca.example.com" } },
    });
    const text = JSON.stringify(lines);
    for (const secret of ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"]) expect(text).not.toContain(secret);
    expect(lines[0]?.req.headers).toEqual({
      authorization: "[redacted]",
      cookie: "[redacted]",
      host: "ca.example.com",
    });
  });

  it("redacts without touching the caller's object, and leaves errors and other objects whole", () => {
    const { lines, stream } = capture();
    const logger = createLogger("signet-ca", "info", stream);
    const logged = { request: { token: "t-7", issuer: "https://issuer.example" }, size: 2 };
    logger.info(logged);
    logger.error({ err: new Error("storage lost"), shards: ["a", "b"] }, "failed");
    expect(logged.request.token).toBe("t-7");
    expect(lines[0]).toMatchObject({
      request: { token: "[redacted]", issuer: "https://issuer.example" },
      size: 2,
    });
    expect(lines[1]).toMatchObject({ err: { message: "storage lost", type: "Error" }, shards: ["a", "b"] });
    expect(withoutSecrets(logged.request)).toEqual({ token: "[redacted]", issuer: "https://issuer.example" });
    const clean = { a: 1, b: { c: 2 } };
    expect(withoutSecrets(clean)).toBe(clean);
  });

  it("is silent at level silent", () => {
    const { lines, stream } = capture();
    createLogger("quiet", "silent", stream).error("nothing");
    expect(lines).toEqual([]);
  });
});

describe("createRegistry", () => {
  it("exposes build info and default Node.js metrics", async () => {
    const text = await createRegistry("signet_log").metrics();
    expect(text).toContain(
      `signet_log_build_info{version="${packageJson.version}",node_version="${process.versions.node}"} 1`,
    );
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_heap_size_used_bytes");
  });

  it("gives each service its own registry", async () => {
    createRegistry("signet_ca");
    expect(await createRegistry("signet_prober").metrics()).not.toContain("signet_ca_build_info");
  });
});
