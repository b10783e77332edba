import { connect } from "node:net";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, badRequest, conflict, notFound } from "../../../services/common/errors.ts";
import { createLogger } from "../../../services/common/logging.ts";
import { acceptRawBody, createServer, type ServerOptions } from "../../../services/common/server.ts";

/** Collects a logger's JSON lines. */
function logSink(): { lines: Array<Record<string, any>>; stream: Writable } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

const entrySchema = {
  body: {
    type: "object",
    required: ["kind"],
    properties: { kind: { type: "string" }, token: { type: "string" } },
  },
};

let servers: FastifyInstance[] = [];

function serverWith(options: Partial<ServerOptions> = {}): FastifyInstance {
  const server = createServer({
    name: "test",
    logger: false,
    registry: new Registry(),
    bodyLimit: 1024,
    ...options,
  });
  server.post("/entries", { schema: entrySchema }, async (request) => ({ accepted: request.body }));
  server.get("/entries/:uuid", async (request) => {
    throw notFound("ENTRY_NOT_FOUND", `no entry ${(request.params as { uuid: string }).uuid}`);
  });
  server.get(
    "/log/proof",
    { schema: { querystring: { type: "object", properties: { firstSize: { type: "integer" } } } } },
    async () => ({}),
  );
  server.get("/fails", async () => {
    throw new Error("password=hunter2 at /srv/secret.ts");
  });
  server.get("/fails-plain", () => Promise.reject(new TypeError("cannot read properties of undefined")));
  server.get("/duplicate", async () => {
    throw conflict("DUPLICATE_ENTRY", "entry already exists");
  });
  server.get("/unavailable", async () => {
    throw new ApiError(503, "SHARD_FROZEN", "shard is frozen");
  });
  acceptRawBody(server, "application/timestamp-query");
  server.post("/timestamp", async (request) => ({
    isBuffer: Buffer.isBuffer(request.body),
    length: (request.body as Buffer).length,
  }));
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

/** Writes `text` to a listening server's socket and returns all it answers. */
async function sendRaw(server: FastifyInstance, text: string): Promise<string> {
  await server.listen({ host: "127.0.0.1", port: 0 });
  const address = server.server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return new Promise<string>((resolve, reject) => {
    const socket = connect(address.port, "127.0.0.1", () => socket.write(text));
    let reply = "";
    socket.on("data", (chunk) => {
      reply += chunk;
    });
    socket.on("end", () => resolve(reply));
    socket.on("error", reject);
  });
}

function expectErrorBody(body: string, code: string): { code: string; message: string } {
  const parsed = JSON.parse(body);
  expect(Object.keys(parsed).sort()).toEqual(["code", "message"]);
  expect(parsed.code).toBe(code);
  expect(body).not.toMatch(/stack|\bat \S+:\d+/);
  return parsed;
}

describe("createServer errors", () => {
  it("answers an ApiError with its status and {code, message}", async () => {
    const server = serverWith();
    const missing = await server.inject({ url: "/entries/abc" });
    expect(missing.statusCode).toBe(404);
    expect(expectErrorBody(missing.body, "ENTRY_NOT_FOUND").message).toBe("no entry abc");
    expect((await server.inject({ url: "/duplicate" })).statusCode).toBe(409);
    expect((await server.inject({ url: "/unavailable" })).statusCode).toBe(503);
    expect(missing.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("answers schema violations with 400 naming the field", async () => {
    const server = serverWith();
    const wrongType = await server.inject({
      method: "POST",
      url: "/entries",
      payload: { kind: { nested: true } },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(expectErrorBody(wrongType.body, "MALFORMED_REQUEST").message).toContain("body/kind");
    const missing = await server.inject({ method: "POST", url: "/entries", payload: {} });
    expect(expectErrorBody(missing.body, "MALFORMED_REQUEST").message).toContain("kind");
    const query = await server.inject({ url: "/log/proof?firstSize=ten" });
    expect(query.statusCode).toBe(400);
    expect(expectErrorBody(query.body, "MALFORMED_REQUEST").message).toContain("querystring/firstSize");
  });

  it("answers malformed and empty JSON with 400", async () => {
    const server = serverWith();
    const headers = { "content-type": "application/json" };
    for (const payload of ['{"kind":', "", '{"__proto__":{"x":1}}']) {
      const response = await server.inject({ method: "POST", url: "/entries", headers, payload });
      expect(response.statusCode, payload).toBe(400);
      expectErrorBody(response.body, "MALFORMED_REQUEST");
    }
  });

  it("answers an unregistered content type with 415", async () => {
    const server = serverWith();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/timestamp-reply"]) {
      const response = await server.inject({
        method: "POST",
        url: "/entries",
        headers: { "content-type": type },
        payload: "kind=x",
      });
      expect(response.statusCode, type).toBe(415);
      expectErrorBody(response.body, "UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("answers a body over the limit with 413", async () => {
    const server = serverWith();
    const response = await server.inject({
      method: "POST",
      url: "/entries",
      payload: { kind: "x".repeat(2000) },
    });
    expect(response.statusCode).toBe(413);
    expectErrorBody(response.body, "PAYLOAD_TOO_LARGE");
  });

  it("defaults the body limit to 128 KiB", async () => {
    const server = createServer({ name: "test", logger: false, registry: new Registry() });
    servers.push(server);
    server.post("/entries", async () => ({ ok: true }));
    const within = await server.inject({
      method: "POST",
      url: "/entries",
      payload: { kind: "x".repeat(120_000) },
    });
    expect(within.statusCode).toBe(200);
    const over = await server.inject({
      method: "POST",
      url: "/entries",
      payload: { kind: "x".repeat(132_000) },
    });
    expect(over.statusCode).toBe(413);
  });

  it("answers unexpected errors with 500 INTERNAL, hiding the message and logging it", async () => {
    const { lines, stream } = logSink();
    const server = serverWith({ logger: createLogger("test", "info", stream) });
    for (const url of ["/fails", "/fails-plain"]) {
      const response = await server.inject({ url });
      expect(response.statusCode).toBe(500);
      expect(expectErrorBody(response.body, "INTERNAL").message).toBe("internal error");
      expect(response.body).not.toContain("hunter2");
    }
    const logged = lines.filter((line) => line.message === "unhandled error");
    expect(logged.map((line) => line.err.message)).toEqual([
      "password=hunter2 at /srv/secret.ts",
      "cannot read properties of undefined",
    ]);
  });

  it("answers unknown routes with 404 NOT_FOUND", async () => {
    const server = serverWith();
    const response = await server.inject({ method: "DELETE", url: "/nowhere?x=1" });
    expect(response.statusCode).toBe(404);
    expect(expectErrorBody(response.body, "NOT_FOUND").message).toBe("no route for DELETE /nowhere");
  });

  it("hands registered raw content types to the route as a Buffer", async () => {
    const server = serverWith();
    const response = await server.inject({
      method: "POST",
      url: "/timestamp",
      headers: { "content-type": "application/timestamp-query" },
      payload: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
    });
    expect(response.json()).toEqual({ isBuffer: true, length: 5 });
  });

  it("answers malformed HTTP on the socket with 400 {code, message}", async () => {
    const server = serverWith();
    const reply = await sendRaw(server, "NOT HTTP AT ALL\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expectErrorBody(reply.slice(reply.indexOf("\r\n\r\n") + 4), "MALFORMED_REQUEST");
  });

  it("spells every error as Rekor's Error in the rekor style: integer code, message, our code as reason", async () => {
    let ready = true;
    const server = serverWith({
      errorStyle: "rekor",
      readiness: async () => {
        if (!ready) throw new Error("database unreachable");
      },
    });
    const bodies = async (url: string, method: "GET" | "DELETE" = "GET") => {
      const response = await server.inject({ method, url });
      return { status: response.statusCode, body: response.json() };
    };
    expect(await bodies("/entries/abc")).toEqual({
      status: 404,
      body: { code: 404, message: "no entry abc", reason: "ENTRY_NOT_FOUND" },
    });
    expect(await bodies("/duplicate")).toEqual({
      status: 409,
      body: { code: 409, message: "entry already exists", reason: "DUPLICATE_ENTRY" },
    });
    expect(await bodies("/fails")).toEqual({
      status: 500,
      body: { code: 500, message: "internal error", reason: "INTERNAL" },
    });
    expect(await bodies("/nowhere", "DELETE")).toEqual({
      status: 404,
      body: { code: 404, message: "no route for DELETE /nowhere", reason: "NOT_FOUND" },
    });
    ready = false;
    expect(await bodies("/readyz")).toEqual({
      status: 503,
      body: { code: 503, message: "database unreachable", reason: "NOT_READY" },
    });
    const reply = await sendRaw(server, "NOT HTTP AT ALL\r\n\r\n");
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toEqual({
      code: 400,
      message: "malformed HTTP request",
      reason: "MALFORMED_REQUEST",
    });
  });

  it("builds error bodies through the constructors", () => {
    const error = badRequest("INVALID_SIGNATURE", "signature does not verify");
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.code, error.message]).toEqual([
      400,
      "INVALID_SIGNATURE",
      "signature does not verify",
    ]);
  });
});

describe("createServer probes", () => {
  it("reports health and readiness", async () => {
    let ready = true;
    const server = serverWith({
      readiness: async () => {
        if (!ready) throw new Error("database unreachable");
      },
    });
    expect((await server.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await server.inject({ url: "/readyz" })).statusCode).toBe(200);
    ready = false;
    const notReady = await server.inject({ url: "/readyz" });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ code: "NOT_READY", message: "database unreachable" });
    expect((await server.inject({ url: "/healthz" })).statusCode).toBe(200);
  });

  it("is ready without a readiness check", async () => {
    expect((await serverWith().inject({ url: "/readyz" })).statusCode).toBe(200);
  });

  it("labels request durations with the route pattern, method and status", async () => {
    const registry = new Registry();
    const server = serverWith({ registry });
    await server.inject({ url: "/entries/aaa" });
    await server.inject({ url: "/entries/bbb" });
    await server.inject({ url: "/nowhere/ccc" });
    const metrics = await server.inject({ url: "/metrics" });
    expect(metrics.headers["content-type"]).toBe(registry.contentType);
    expect(metrics.body).toContain(
      'http_request_duration_seconds_count{route="/entries/:uuid",method="GET",status_code="404"} 2',
    );
    expect(metrics.body).toContain(
      'http_request_duration_seconds_count{route="unmatched",method="GET",status_code="404"} 1',
    );
    expect(metrics.body).not.toMatch(/aaa|bbb|ccc/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket{le="0.005",route="/entries/:uuid"');
  });

  it("shares one histogram between servers on the same registry", async () => {
    const registry = new Registry();
    await serverWith({ registry }).inject({ url: "/healthz" });
    await serverWith({ registry }).inject({ url: "/healthz" });
    expect(await registry.metrics()).toContain(
      'http_request_duration_seconds_count{route="/healthz",method="GET",status_code="200"} 2',
    );
  });
});

describe("createServer request logging", () => {
  it("writes one line per request without credentials or bodies", async () => {
    const { lines, stream } = logSink();
    const server = serverWith({ logger: createLogger("test", "info", stream) });
    await server.inject({
      method: "POST",
      url: "/entries",
      headers: { authorization: "Bearer eyJhbGciOi.secret-token", cookie: "session=abc" },
      payload: { kind: "hashedrekord", token: "oidc-token-value" },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: "request",
      service: "test",
      method: "POST",
      url: "/entries",
      route: "/entries",
      statusCode: 200,
    });
    expect(typeof lines[0]?.durationMs).toBe("number");
    const text = JSON.stringify(lines);
    for (const secret of ["secret-token", "session=abc", "oidc-token-value", "hashedrekord"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("does not log probes", async () => {
    const { lines, stream } = logSink();
    const server = serverWith({ logger: createLogger("test", "info", stream) });
    await server.inject({ url: "/healthz" });
    await server.inject({ url: "/metrics" });
    expect(lines).toEqual([]);
  });
});

describe("createServer draining", () => {
  it("answers requests arriving while it closes with 503 SHUTTING_DOWN", async () => {
    const server = serverWith();
    let release = (): void => {};
    let started = (): void => {};
    const inFlightStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    server.get("/slow", async () => {
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { done: true };
    });
    const inFlight = server.inject({ url: "/slow" });
    await inFlightStarted;
    const closing = server.close();
    const late = await server.inject({ url: "/healthz" });
    expect(late.statusCode).toBe(503);
    expect(late.headers.connection).toBe("close");
    expectErrorBody(late.body, "SHUTTING_DOWN");
    release();
    expect((await inFlight).json()).toEqual({ done: true });
    await closing;
  });
});
