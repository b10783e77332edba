import type { FastifyInstance } from "fastify";
import { ApiError } from "../../common/errors.ts";
import { leafHash } from "../../common/merkle/hash.ts";
import { searchKeysForQuery, validateProposedEntry, validateProposedEntryAsync } from "../entries/index.ts";
import type { Located, ShardSet } from "../shards.ts";
import { type LogIdentity, seconds, toLogEntry } from "./log-entry.ts";

export interface RekorApiOptions {
  shards: ShardSet;
  identity: LogIdentity;
  onAppended?: (kind: string) => void;
}

const index = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const treeIdParameter = { type: "string", pattern: "^[0-9]+$" } as const;
// Rekor accepts either case (openapi.yaml entryUUID); ShardSet.byUuid normalizes.
const uuidPattern = "^([0-9a-fA-F]{16})?[0-9a-fA-F]{64}$";
// Rekor's limit (openapi.yaml SearchLogQuery maxItems; pkg/api/entries.go maxSearchQueries).
const maxRetrieve = 10;

/** The Rekor v1 API (sigstore/rekor openapi.yaml), over the log's shards. */
export async function rekorApi(server: FastifyInstance, options: RekorApiOptions): Promise<void> {
  const { shards, identity } = options;

  server.post(
    "/api/v1/log/entries",
    { schema: { body: { type: "object", required: ["kind", "apiVersion", "spec"] } } },
    async (request, reply) => {
      const entry = await validateProposedEntryAsync(request.body);
      const shard = shards.active;
      const appended = await shard.tree.append({
        value: entry.canonicalBody,
        searchKeys: entry.searchKeys,
        extra: ({ index: local, integratedTime }) =>
          identity.signEntryTimestamp(entry.canonicalBody, seconds(integratedTime), shard.offset + local),
      });
      const uuid = shards.uuidOf(shard, appended.leaf);
      const location = `/api/v1/log/entries/${uuid}`;
      if (appended.duplicate) {
        reply.header("Location", location);
        throw new ApiError(
          409,
          "ENTRY_EXISTS",
          `an equivalent entry already exists in the log with UUID ${uuid}`,
        );
      }
      options.onAppended?.(entry.kind);
      const body = await toLogEntry(shards, identity, { shard, leaf: appended.leaf }, appended.checkpoint);
      return reply.code(201).header("Location", location).header("ETag", uuid).send(body);
    },
  );

  server.get(
    "/api/v1/log",
    { schema: { querystring: { type: "object", properties: { stable: { type: "boolean" } } } } },
    async () => {
      const heads = await shards.heads();
      const info = (head: (typeof heads)[number]) => ({
        rootHash: head.head.rootHash.toString("hex"),
        treeSize: head.head.size,
        signedTreeHead: head.head.signed,
        treeID: head.shard.treeId,
      });
      const active = heads.find((h) => h.shard === shards.active);
      if (!active) throw new Error("active shard missing");
      return { ...info(active), inactiveShards: heads.filter((h) => h !== active).map(info) };
    },
  );

  server.get(
    "/api/v1/log/publicKey",
    {
      schema: {
        querystring: { type: "object", properties: { treeID: treeIdParameter } },
      },
    },
    async (request, reply) => {
      const { treeID } = request.query as { treeID?: string };
      if (!shards.byTreeId(treeID))
        throw new ApiError(404, "UNKNOWN_TREE", `no shard with tree ID ${treeID}`);
      const pem = identity.signer.publicKey.export({ type: "spki", format: "pem" });
      return reply.type("application/x-pem-file").send(pem);
    },
  );

  server.get(
    "/api/v1/log/proof",
    {
      schema: {
        querystring: {
          type: "object",
          required: ["lastSize"],
          properties: {
            firstSize: { ...index, minimum: 1 },
            lastSize: { ...index, minimum: 1 },
            treeID: treeIdParameter,
          },
        },
      },
    },
    async (request) => {
      const {
        firstSize = 1,
        lastSize,
        treeID,
      } = request.query as { firstSize?: number; lastSize: number; treeID?: string };
      const shard = shards.byTreeId(treeID);
      if (!shard) throw new ApiError(404, "UNKNOWN_TREE", `no shard with tree ID ${treeID}`);
      const head = await shard.tree.head();
      if (firstSize > lastSize || lastSize > head.size) {
        throw new ApiError(400, "INVALID_SIZES", `need 1 <= firstSize <= lastSize <= ${head.size}`);
      }
      const hashes = await shard.tree.consistencyProof(firstSize, lastSize);
      const root = lastSize === head.size ? head.rootHash : await shard.tree.rootAt(lastSize);
      return {
        rootHash: root.toString("hex"),
        treeSize: lastSize,
        hashes: hashes.map((h) => h.toString("hex")),
      };
    },
  );

  server.get(
    "/api/v1/log/entries",
    { schema: { querystring: { type: "object", required: ["logIndex"], properties: { logIndex: index } } } },
    async (request) => {
      const { logIndex } = request.query as { logIndex: number };
      return toLogEntry(
        shards,
        identity,
        await found(shards.atGlobalIndex(logIndex), `log index ${logIndex}`),
      );
    },
  );

  server.get(
    "/api/v1/log/entries/:entryUUID",
    {
      schema: {
        params: { type: "object", properties: { entryUUID: { type: "string", pattern: uuidPattern } } },
      },
    },
    async (request) => {
      const { entryUUID } = request.params as { entryUUID: string };
      return toLogEntry(shards, identity, await found(shards.byUuid(entryUUID), `entry ${entryUUID}`));
    },
  );

  server.post(
    "/api/v1/log/entries/retrieve",
    {
      schema: {
        body: {
          type: "object",
          properties: {
            entryUUIDs: {
              type: "array",
              maxItems: maxRetrieve,
              items: { type: "string", pattern: uuidPattern },
            },
            logIndexes: { type: "array", maxItems: maxRetrieve, items: index },
            entries: { type: "array", maxItems: maxRetrieve, items: { type: "object" } },
          },
        },
      },
    },
    async (request) => {
      const body = request.body as { entryUUIDs?: string[]; logIndexes?: number[]; entries?: unknown[] };
      const total =
        (body.entryUUIDs?.length ?? 0) + (body.logIndexes?.length ?? 0) + (body.entries?.length ?? 0);
      if (total > maxRetrieve)
        throw new ApiError(422, "TOO_MANY_QUERIES", `at most ${maxRetrieve} lookups in one request`);
      const lookups = [
        ...(body.entryUUIDs ?? []).map((uuid) => shards.byUuid(uuid)),
        ...(body.logIndexes ?? []).map((logIndex) => shards.atGlobalIndex(logIndex)),
        ...(body.entries ?? []).map((proposed) => {
          const hash = leafHash(validateProposedEntry(proposed).canonicalBody).toString("hex");
          return shards.byUuid(hash);
        }),
      ];
      const located = (await Promise.all(lookups)).filter((l): l is Located => l !== undefined);
      return Promise.all(located.map((l) => toLogEntry(shards, identity, l)));
    },
  );

  server.post("/api/v1/index/retrieve", { schema: { body: { type: "object" } } }, async (request) => {
    const { keys, operator } = searchKeysForQuery(request.body);
    const groups = await Promise.all(
      keys.map(
        async (alternatives) =>
          new Set((await Promise.all(alternatives.map((k) => shards.search(k)))).flat()),
      ),
    );
    const [first, ...rest] = groups;
    if (!first) throw new ApiError(400, "MALFORMED_REQUEST", "give at least one of hash, publicKey, email");
    const combined =
      operator === "and"
        ? [...first].filter((uuid) => rest.every((g) => g.has(uuid)))
        : [...new Set([...first, ...rest.flatMap((g) => [...g])])];
    return combined.sort();
  });
}

async function found<T>(lookup: Promise<T | undefined>, what: string): Promise<T> {
  const value = await lookup;
  if (value === undefined) throw new ApiError(404, "NOT_FOUND", `${what} is not in the log`);
  return value;
}
