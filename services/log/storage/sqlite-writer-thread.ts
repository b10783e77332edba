// Worker thread body for sqlite-writer.ts: holds one write connection per writer it is sent
// batches by, and commits them one at a time, in the order they arrive.
import { DatabaseSync } from "node:sqlite";
import { parentPort } from "node:worker_threads";
import { decodeBatch } from "./batch-codec.ts";
import { SqliteAppender } from "./sqlite-append.ts";
import type { WriterReply, WriterRequest, WriterTarget } from "./sqlite-writer.ts";
import { StaleTreeError } from "./types.ts";

const connections = new Map<number, { db: DatabaseSync; appender: SqliteAppender }>();

function connection(target: WriterTarget) {
  const key = target.writer;
  let open = connections.get(key);
  if (!open) {
    const db = new DatabaseSync(target.path, { timeout: 10_000 });
    // synchronous is per connection: this one commits, so this one must fsync (see sqlite.ts).
    db.exec("PRAGMA synchronous = FULL");
    // Copy the WAL back into the database every 8,000 pages (32 MiB) rather than SQLite's 1,000:
    // the commit that crosses the mark pays for the copy and its fsync, and fewer, larger copies
    // took ~10 % more appends/s through the writer (BENCHMARKS.md).
    db.exec("PRAGMA wal_autocheckpoint = 8000");
    open = { db, appender: new SqliteAppender(db, target.treeId) };
    connections.set(key, open);
  }
  return { key, ...open };
}

function handle(request: WriterRequest): WriterReply {
  const { id, target } = request;
  try {
    const { key, db, appender } = connection(target);
    if ("close" in request) {
      db.close();
      connections.delete(key);
    } else appender.append(decodeBatch(request.batch));
    return { id, outcome: "done" };
  } catch (error) {
    if (error instanceof StaleTreeError) return { id, outcome: "stale", storedSize: error.storedSize };
    return { id, outcome: "failed", message: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.on("message", (request: WriterRequest) => parentPort?.postMessage(handle(request)));
