import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../../common/errors.ts";
import type { TimestampAuthority } from "./authority.ts";
import {
  parseJsonPreservingNonce,
  parseJsonRequest,
  parseTimestampQuery,
  type TimestampRequest,
} from "./request.ts";

export interface TsaApiOptions {
  authority: TimestampAuthority;
  /** PEM chain served at /api/v1/timestamp/certchain, TSA leaf first. */
  chainPem: string;
}

const TIMESTAMP_QUERY = "application/timestamp-query";

/**
 * The REST surface of sigstore's timestamp-authority (openapi.yaml). Content-type parsers are
 * registered here, so they only apply to these routes.
 */
export async function tsaApi(server: FastifyInstance, options: TsaApiOptions): Promise<void> {
  registerBodyParsers(server);

  // Upstream answers 200 unless started with --use-http-201; sigstore-js accepts any 2xx.
  server.post("/api/v1/timestamp", async (request, reply) => {
    const response = await options.authority.timestamp(timestampRequestOf(request));
    return reply.code(200).type("application/timestamp-reply").send(response);
  });

  server.get("/api/v1/timestamp/certchain", async (_request, reply) =>
    reply.type("application/pem-certificate-chain").send(options.chainPem),
  );
}

function timestampRequestOf(request: FastifyRequest): TimestampRequest {
  return Buffer.isBuffer(request.body) ? parseTimestampQuery(request.body) : parseJsonRequest(request.body);
}

function registerBodyParsers(server: FastifyInstance): void {
  server.removeAllContentTypeParsers();
  server.addContentTypeParser(TIMESTAMP_QUERY, { parseAs: "buffer" }, (_request, body, done) =>
    done(null, body),
  );
  server.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonPreservingNonce(body as string));
    } catch {
      done(new ApiError(400, "MALFORMED_REQUEST", "the request body is not valid JSON"), undefined);
    }
  });
  server.addContentTypeParser("*", (request, _payload, done) => {
    const type = request.headers["content-type"] ?? "none";
    done(
      new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `send application/json or ${TIMESTAMP_QUERY}, not ${type}`),
      undefined,
    );
  });
}
