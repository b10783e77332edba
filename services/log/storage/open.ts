import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openPostgres } from "./postgres.ts";
import { openSqlite } from "./sqlite.ts";
import type { TreeStorage } from "./types.ts";

/**
 * Opens the storage a URL names, applies pending migrations and registers the tree if new.
 * `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite:<path>` or a plain file path for
 * SQLite (`sqlite::memory:` for a database that lives as long as the process).
 */
export async function openStorage(url: string, treeId: string): Promise<TreeStorage> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, treeId);
  const path = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  if (path === "") throw new Error(`storage URL ${url} names no SQLite file`);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  return openSqlite(path, treeId);
}
