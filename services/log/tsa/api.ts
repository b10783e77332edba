import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../../common/errors.ts";
import { acceptRawBody } from "../../common/server.ts";
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
 * The REST surface of sigstore's timestamp-authority (openapi.yaml), for a server made by
 * `createServer`. Its body parsers are registered in this plugin's scope, for these routes only.
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

/**
 * DER queries arrive as Buffers; JSON is re-registered so an integer nonce beyond 2^53 survives.
 * Other media types get the server's 415.
 */
function registerBodyParsers(server: FastifyInstance): void {
  acceptRawBody(server, TIMESTAMP_QUERY);
  server.removeContentTypeParser("application/json");
  server.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonPreservingNonce(body as string));
    } catch {
      done(new ApiError(400, "MALFORMED_REQUEST", "the request body is not valid JSON"), undefined);
    }
  });
}
