import type { FastifyInstance } from "fastify";
import { sctToJson } from "../../common/ct/sct.ts";
import { badRequest } from "../../common/errors.ts";
import type { CtLog } from "./log.ts";

export interface CtApiOptions {
  log: CtLog;
  /** Where the log is served, e.g. "/ctlog"; fastify applies it when the plugin is registered. */
  prefix: string;
}

const size = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const chainBody = {
  type: "object",
  required: ["chain"],
  properties: { chain: { type: "array", minItems: 1, items: { type: "string" } } },
} as const;

function query(required: string[], properties: Record<string, object>) {
  return { querystring: { type: "object", required, properties } };
}

const base64 = (bytes: Buffer) => bytes.toString("base64");

/** The RFC 6962 §4 API of one CT log; register it with `{ prefix }` to serve it under a path. */
export async function ctApi(server: FastifyInstance, options: CtApiOptions): Promise<void> {
  const { log } = options;

  for (const [path, precert] of [
    ["/ct/v1/add-chain", false],
    ["/ct/v1/add-pre-chain", true],
  ] as const) {
    server.post(path, { schema: { body: chainBody } }, async (request) => {
      const { chain } = request.body as { chain: string[] };
      return sctToJson(await log.addChain(chain, precert));
    });
  }

  server.get("/ct/v1/get-sth", async () => log.signedTreeHead());

  server.get(
    "/ct/v1/get-sth-consistency",
    { schema: query(["first", "second"], { first: size, second: size }) },
    async (request) => {
      const { first, second } = request.query as { first: number; second: number };
      return { consistency: (await log.consistencyProof(first, second)).map(base64) };
    },
  );

  server.get(
    "/ct/v1/get-proof-by-hash",
    { schema: query(["hash", "tree_size"], { hash: { type: "string" }, tree_size: size }) },
    async (request) => {
      const { hash, tree_size } = request.query as { hash: string; tree_size: number };
      const leafHash = Buffer.from(hash, "base64");
      if (leafHash.length !== 32 || leafHash.toString("base64") !== hash) {
        throw badRequest("INVALID_HASH", "hash must be the base64 of a 32-byte leaf hash");
      }
      const proof = await log.proofByHash(leafHash, tree_size);
      return { leaf_index: proof.leafIndex, audit_path: proof.auditPath.map(base64) };
    },
  );

  server.get(
    "/ct/v1/get-entries",
    { schema: query(["start", "end"], { start: size, end: size }) },
    async (request) => {
      const { start, end } = request.query as { start: number; end: number };
      const entries = await log.entries(start, end);
      return {
        entries: entries.map((leaf) => ({
          leaf_input: base64(leaf.value),
          extra_data: base64(leaf.extra ?? Buffer.alloc(0)),
        })),
      };
    },
  );

  server.get("/ct/v1/get-roots", async () => ({
    certificates: log.roots.certificates.map((root) => base64(root.parts.der)),
  }));
}
