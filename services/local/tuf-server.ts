import { readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../common/errors.ts";

/**
 * Serves a TUF repository directory as the CDN bucket does: metadata at the top, targets under
 * `targets/`, `timestamp.json` never cached.
 */
export function tufRepositoryRoutes(server: FastifyInstance, directory: string): void {
  const root = resolve(directory);
  const serve = async (relative: string, reply: import("fastify").FastifyReply) => {
    const path = resolve(join(root, relative));
    if (!path.startsWith(root + sep)) throw new ApiError(404, "NOT_FOUND", "no such file");
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      throw new ApiError(404, "NOT_FOUND", `${relative} is not in the repository`);
    }
    const volatile = relative === "timestamp.json" || relative === "root.json";
    return reply
      .type(relative.endsWith(".json") ? "application/json" : "application/octet-stream")
      .header("Cache-Control", volatile ? "no-store" : "public, max-age=300")
      .send(body);
  };
  server.get("/:file", (request, reply) => serve((request.params as { file: string }).file, reply));
  server.get("/targets/:file", (request, reply) =>
    serve(`targets/${(request.params as { file: string }).file}`, reply),
  );
}
