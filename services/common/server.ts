import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { BaseLogger, Logger } from "pino";
import { Histogram, type Registry } from "prom-client";
import {
  ApiError,
  type ErrorBody,
  type ErrorStyle,
  styledErrorBody,
  toErrorBody,
  unavailable,
} from "./errors.ts";

export interface ServerOptions {
  /** The service's name, bound to every log line the server writes. */
  name: string;
  logger: Logger | false;
  /** Largest accepted request body in bytes; default 128 KiB. */
  bodyLimit?: number;
  registry: Registry;
  /** Throws when the service cannot serve (storage unreachable); /readyz answers 503. */
  readiness?: () => Promise<void>;
  /**
   * Addresses and CIDRs of the proxies whose X-Forwarded-For is believed for the client address
   * (comma-separated). Behind Google's external Application Load Balancer: its front ends
   * (130.211.0.0/22, 35.191.0.0/16) and the balancer's own address, which it appends.
   */
  trustedProxies?: string;
  /** How error bodies are spelled; `signet` unless the service mirrors another API's. */
  errorStyle?: ErrorStyle;
}

const defaultBodyLimit = 128 * 1024;
const probePaths = new Set(["/healthz", "/readyz", "/metrics"]);

/** Error codes by HTTP status, for 4xx errors raised by Fastify itself rather than our handlers. */
const codesByStatus: Record<number, string> = {
  400: "MALFORMED_REQUEST",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  408: "REQUEST_TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  431: "HEADERS_TOO_LARGE",
};

const internalError: ErrorBody = { code: "INTERNAL", message: "internal error" };

/** One access-log line per request, written when the response is finished; probes are not logged. */
class AccessLog extends LogController {
  constructor() {
    super({ disableRequestLogging: (request: { url?: string }) => probePaths.has(request.url ?? "") });
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.warn({ ...line, err: error }, "response failed");
    else reply.log.info(line, "request");
  }
}

/** The response for any error a request can raise: {code, message}, and never a stack trace. */
function describeError(error: FastifyError | ApiError): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) return { status: error.status, body: toErrorBody(error) };
  if (error.validation) return { status: 400, body: { code: "MALFORMED_REQUEST", message: error.message } };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, body: { code: codesByStatus[status] ?? "BAD_REQUEST", message: error.message } };
  }
  return { status: 500, body: internalError };
}

/** Malformed HTTP never reaches a route; answer it in the same {code, message} shape. */
function rejectMalformedHttp(style: ErrorStyle, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const body = JSON.stringify(
    styledErrorBody(style, status, {
      code: codesByStatus[status] ?? "MALFORMED_REQUEST",
      message: "malformed HTTP request",
    }),
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function requestDurations(registry: Registry): Histogram<"route" | "method" | "status_code"> {
  const name = "http_request_duration_seconds";
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<"route" | "method" | "status_code">;
  return new Histogram({
    name,
    help: "Time from request received to response sent, by route pattern, method and status code.",
    labelNames: ["route", "method", "status_code"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}

function addRequestMetrics(server: FastifyInstance, registry: Registry): void {
  const durations = requestDurations(registry);
  server.addHook("onResponse", async (request, reply) => {
    durations.observe(
      {
        route: request.routeOptions.url ?? "unmatched",
        method: request.method,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}

function addErrorHandling(server: FastifyInstance, style: ErrorStyle): void {
  server.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const { status, body } = describeError(error);
    if (status >= 500 && !(error instanceof ApiError)) request.log.error({ err: error }, "unhandled error");
    return reply
      .code(status)
      .type("application/json")
      .send(styledErrorBody(style, status, body));
  });
  server.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    const body = { code: "NOT_FOUND", message: `no route for ${request.method} ${path}` };
    return reply.code(404).send(styledErrorBody(style, 404, body));
  });
}

/** Requests that arrive on kept-alive connections while draining get a 503 and a closed connection. */
function addDraining(server: FastifyInstance): void {
  let draining = false;
  server.addHook("preClose", async () => {
    draining = true;
  });
  server.addHook("onRequest", async (_request, reply) => {
    if (!draining) return;
    reply.header("connection", "close");
    throw unavailable("SHUTTING_DOWN", "server is shutting down");
  });
}

function addProbes(server: FastifyInstance, options: ServerOptions, style: ErrorStyle): void {
  const { registry, readiness } = options;
  server.get("/healthz", async () => ({ status: "ok" }));
  server.get("/readyz", async (request, reply) => {
    try {
      await readiness?.();
    } catch (error) {
      request.log.warn({ err: error }, "not ready");
      const message = error instanceof Error ? error.message : "not ready";
      return reply.code(503).send(styledErrorBody(style, 503, { code: "NOT_READY", message }));
    }
    return { status: "ok" };
  });
  server.get("/metrics", async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/**
 * The HTTP server every Signet service is built on: JSON bodies up to `bodyLimit`, errors as
 * {code, message}, probes, Prometheus metrics and one access-log line per request.
 */
export function createServer(options: ServerOptions): FastifyInstance {
  // Typed as Fastify's logger interface: with pino's own Logger type the instance's generics diverge.
  const logger: FastifyBaseLogger | undefined = options.logger
    ? options.logger.child({ service: options.name })
    : undefined;
  const style = options.errorStyle ?? "signet";
  const server = Fastify({
    ...(logger ? { loggerInstance: logger } : {}),
    logController: new AccessLog(),
    bodyLimit: options.bodyLimit ?? defaultBodyLimit,
    return503OnClosing: false,
    clientErrorHandler: (error, socket) => rejectMalformedHttp(style, error, socket),
    // Google Cloud load balancers hold idle backend connections for 600 s; a backend that closes
    // first races the balancer's next request and the client sees a 502.
    keepAliveTimeout: 620_000,
    ...(options.trustedProxies ? { trustProxy: options.trustedProxies } : {}),
  });
  // Only JSON and the raw types a plugin asks for (acceptRawBody) are accepted.
  server.removeContentTypeParser("text/plain");
  addErrorHandling(server, style);
  addDraining(server);
  addRequestMetrics(server, options.registry);
  addProbes(server, options, style);
  return server;
}

/** Lets routes receive `contentType` bodies as a Buffer (e.g. RFC 3161 application/timestamp-query). */
export function acceptRawBody(server: FastifyInstance, contentType: string): void {
  server.addContentTypeParser(contentType, { parseAs: "buffer" }, (_request, body, done) => {
    done(null, body);
  });
}

export async function listenAndServe(
  server: FastifyInstance,
  address: { host: string; port: number },
): Promise<string> {
  const url = await server.listen(address);
  server.log.info({ url }, "listening");
  return url;
}

/**
 * SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish, run `onClose`
 * (flush, close storage) and exit 0. A second signal exits at once with status 1.
 */
export function shutdownOnSignals(
  server: FastifyInstance,
  onClose: () => Promise<void>,
  logger: BaseLogger,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting without draining");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    drain(server, onClose).then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function drain(server: FastifyInstance, onClose: () => Promise<void>): Promise<void> {
  await server.close();
  await onClose();
}
