// Embedded driver over node:sqlite. One process owns the file in practice, but BEGIN IMMEDIATE
// and the stored size check keep a second writer from forking the tree.
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { checkBatch } from "./batch.ts";
import { createMigrationsTable, pendingMigrations, sqliteDialect } from "./migrations.ts";
import {
  type AppendBatch,
  type LeafRecord,
  type NodeId,
  StaleTreeError,
  type StoredCheckpoint,
  type TreeStorage,
} from "./types.ts";

const LEAF_COLUMNS = "idx, leaf_hash, value, extra, integrated_time";

interface LeafRow {
  idx: number;
  leaf_hash: Uint8Array;
  value: Uint8Array;
  extra: Uint8Array | null;
  integrated_time: number;
}

interface CheckpointRow {
  size: number;
  root_hash: Uint8Array;
  timestamp: number;
  signed: string;
}

export function openSqlite(path: string, treeId: string): TreeStorage {
  // Another connection holding the write lock makes us wait, not fail.
  const db = new DatabaseSync(path, { timeout: 10_000 });
  try {
    // An acknowledged entry must survive SIGKILL and power loss: WAL with synchronous=FULL
    // fsyncs the log on every commit (NORMAL would only protect against a process crash).
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    migrate(db);
    db.prepare("INSERT INTO trees (tree_id, size) VALUES (?, 0) ON CONFLICT DO NOTHING").run(treeId);
    return new SqliteTreeStorage(db, treeId);
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: DatabaseSync): void {
  inTransaction(db, () => {
    db.exec(createMigrationsTable);
    const rows = db.prepare("SELECT version FROM schema_migrations").all() as unknown as {
      version: number;
    }[];
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const migration of pendingMigrations(new Set(rows.map((row) => row.version)))) {
      for (const statement of migration.statements(sqliteDialect)) db.exec(statement);
      record.run(migration.version, migration.name, Date.now());
    }
  });
}

function inTransaction<T>(db: DatabaseSync, work: () => T): T {
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

const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

function toLeaf(row: LeafRow): LeafRecord {
  return {
    index: row.idx,
    leafHash: bytes(row.leaf_hash),
    value: bytes(row.value),
    extra: row.extra === null ? null : bytes(row.extra),
    integratedTime: row.integrated_time,
  };
}

class SqliteTreeStorage implements TreeStorage {
  readonly #db: DatabaseSync;
  readonly #treeId: string;
  readonly #statements: Map<string, StatementSync> = new Map();

  constructor(db: DatabaseSync, treeId: string) {
    this.#db = db;
    this.#treeId = treeId;
  }

  async head(): Promise<StoredCheckpoint | undefined> {
    const row = this.#get<CheckpointRow>(
      "SELECT size, root_hash, timestamp, signed FROM checkpoints WHERE tree_id = ? ORDER BY size DESC, timestamp DESC LIMIT 1",
    );
    return (
      row && { size: row.size, rootHash: bytes(row.root_hash), timestamp: row.timestamp, signed: row.signed }
    );
  }

  async append(batch: AppendBatch): Promise<void> {
    checkBatch(batch);
    inTransaction(this.#db, () => {
      const stored = this.#get<{ size: number }>("SELECT size FROM trees WHERE tree_id = ?");
      const storedSize = stored?.size ?? 0;
      if (storedSize !== batch.expectedSize) throw new StaleTreeError(batch.expectedSize, storedSize);
      this.#writeBatch(batch);
    });
  }

  #writeBatch({ leaves, nodes, searchKeys, checkpoint }: AppendBatch): void {
    for (const { index, leafHash, value, extra, integratedTime } of leaves) {
      this.#run(
        `INSERT INTO leaves (tree_id, ${LEAF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
        index,
        leafHash,
        value,
        extra,
        integratedTime,
      );
    }
    for (const { level, index, hash } of nodes) {
      this.#run("INSERT INTO nodes (tree_id, level, idx, hash) VALUES (?, ?, ?, ?)", level, index, hash);
    }
    // An entry may yield the same key twice (e.g. one email in two places): one row is enough.
    for (const { key, index } of searchKeys) {
      this.#run(
        "INSERT INTO search_index (tree_id, key, idx) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        key,
        index,
      );
    }
    // Re-signing an unchanged tree within the same millisecond adds nothing a monitor needs.
    this.#run(
      "INSERT INTO checkpoints (tree_id, size, root_hash, timestamp, signed) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      checkpoint.size,
      checkpoint.rootHash,
      checkpoint.timestamp,
      checkpoint.signed,
    );
    this.#run("UPDATE trees SET size = ?2 WHERE tree_id = ?1", checkpoint.size);
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => this.#hashAt(id));
  }

  /** Level 0 is the leaf hash itself, so leaves are not stored twice. */
  #hashAt({ level, index }: NodeId): Buffer {
    const row =
      level === 0
        ? this.#get<{ hash: Uint8Array }>(
            "SELECT leaf_hash AS hash FROM leaves WHERE tree_id = ? AND idx = ?",
            index,
          )
        : this.#get<{ hash: Uint8Array }>(
            "SELECT hash FROM nodes WHERE tree_id = ? AND level = ? AND idx = ?",
            level,
            index,
          );
    if (row === undefined)
      throw new Error(`tree ${this.#treeId} has no node at level ${level} index ${index}`);
    return bytes(row.hash);
  }

  async leafAt(index: number): Promise<LeafRecord | undefined> {
    const row = this.#get<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = ? AND idx = ?`, index);
    return row && toLeaf(row);
  }

  async leaves(start: number, end: number): Promise<LeafRecord[]> {
    return this.#all<LeafRow>(
      `SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = ? AND idx >= ? AND idx < ? ORDER BY idx`,
      start,
      end,
    ).map(toLeaf);
  }

  async leavesByHash(hashes: readonly Buffer[]): Promise<LeafRecord[]> {
    const sql = `SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = ? AND leaf_hash = ?`;
    return hashes
      .flatMap((hash) => this.#get<LeafRow>(sql, hash) ?? [])
      .sort((a, b) => a.idx - b.idx)
      .map(toLeaf);
  }

  async search(key: string): Promise<number[]> {
    return this.#all<{ idx: number }>(
      "SELECT idx FROM search_index WHERE tree_id = ? AND key = ? ORDER BY idx",
      key,
    ).map((row) => row.idx);
  }

  async ping(): Promise<void> {
    this.#db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get<Row>(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(sql).get(this.#treeId, ...params) as Row | undefined;
  }

  #all<Row>(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#statement(sql).all(this.#treeId, ...params) as Row[];
  }

  #run(sql: string, ...params: SQLInputValue[]): void {
    this.#statement(sql).run(this.#treeId, ...params);
  }
}
