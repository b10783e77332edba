// The SQLite append transaction, shared by the connection on the event loop (in-memory databases)
// and the writer thread (files).
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { type AppendBatch, StaleTreeError } from "./types.ts";

export const LEAF_COLUMNS = "idx, leaf_hash, value, extra, integrated_time";

const SQL = {
  size: "SELECT size FROM trees WHERE tree_id = ?",
  leaf: `INSERT INTO leaves (tree_id, ${LEAF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
  node: "INSERT INTO nodes (tree_id, level, idx, hash) VALUES (?, ?, ?, ?)",
  // An entry may yield the same key twice (e.g. one email in two places): one row is enough.
  searchKey: "INSERT INTO search_index (tree_id, key, idx) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
  // Re-signing an unchanged tree within the same millisecond adds nothing a monitor needs.
  checkpoint:
    "INSERT INTO checkpoints (tree_id, size, root_hash, timestamp, signed) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  advance: "UPDATE trees SET size = ?2 WHERE tree_id = ?1",
} as const;

export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  // IMMEDIATE takes the write lock up front: what the transaction reads stays true until commit.
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** Appends one checked batch to `treeId` in one transaction, or throws StaleTreeError. */
export class SqliteAppender {
  readonly #db: DatabaseSync;
  readonly #treeId: string;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync, treeId: string) {
    this.#db = db;
    this.#treeId = treeId;
  }

  append(batch: AppendBatch): void {
    inTransaction(this.#db, () => {
      const stored = this.#statement(SQL.size).get(this.#treeId) as { size: number } | undefined;
      const storedSize = stored?.size ?? 0;
      if (storedSize !== batch.expectedSize) throw new StaleTreeError(batch.expectedSize, storedSize);
      this.#write(batch);
    });
  }

  #write({ leaves, nodes, searchKeys, checkpoint }: AppendBatch): void {
    for (const { index, leafHash, value, extra, integratedTime } of leaves) {
      this.#run(SQL.leaf, index, leafHash, value, extra, integratedTime);
    }
    for (const { level, index, hash } of nodes) this.#run(SQL.node, level, index, hash);
    for (const { key, index } of searchKeys) this.#run(SQL.searchKey, key, index);
    const { size, rootHash, timestamp, signed } = checkpoint;
    this.#run(SQL.checkpoint, size, rootHash, timestamp, signed);
    this.#run(SQL.advance, size);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, ...params: SQLInputValue[]): void {
    this.#statement(sql).run(this.#treeId, ...params);
  }
}
