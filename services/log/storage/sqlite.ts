// Embedded driver over node:sqlite. One process owns the file in practice, but BEGIN IMMEDIATE
// and the stored size check keep a second writer from forking the tree. Reads run on the event
// loop; appends to a file run on a writer thread (sqlite-writer.ts).
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { checkBatch } from "./batch.ts";
import { createMigrationsTable, pendingMigrations, sqliteDialect } from "./migrations.ts";
import { inTransaction, LEAF_COLUMNS, SqliteAppender } from "./sqlite-append.ts";
import { SqliteWriter } from "./sqlite-writer.ts";
import type { AppendBatch, LeafRecord, NodeId, StoredCheckpoint, TreeStorage } from "./types.ts";

/** Where appends are committed: this connection (in memory) or a writer thread's (a file). */
interface Appender {
  append(batch: AppendBatch): void | Promise<void>;
  close?(): Promise<void>;
}

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
    // A second connection to ":memory:" would be another, empty database.
    const appender = path === ":memory:" ? new SqliteAppender(db, treeId) : new SqliteWriter(path, treeId);
    return new SqliteTreeStorage(db, treeId, appender);
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

// CROSS JOIN keeps the planner from scanning the tree's nodes for each wanted one.
const INNER_NODES = `SELECT wanted.key AS position, nodes.hash AS hash
  FROM json_each(?2) AS wanted CROSS JOIN nodes
  WHERE nodes.tree_id = ?1 AND nodes.level = wanted.value ->> 0 AND nodes.idx = wanted.value ->> 1`;

const LEAVES_BY_HASH = `SELECT ${LEAF_COLUMNS.split(", ")
  .map((column) => `leaves.${column}`)
  .join(", ")}
  FROM json_each(?2) AS wanted CROSS JOIN leaves
  WHERE leaves.tree_id = ?1 AND leaves.leaf_hash = unhex(wanted.value) ORDER BY leaves.idx`;

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
  readonly #appender: Appender;

  constructor(db: DatabaseSync, treeId: string, appender: Appender) {
    this.#db = db;
    this.#treeId = treeId;
    this.#appender = appender;
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
    await this.#appender.append(batch);
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    const hashes = ids.map((id) => (id.level === 0 ? this.#leafHash(id.index) : undefined));
    const inner = ids.flatMap((id, i) => (id.level > 0 ? [i] : []));
    if (inner.length > 0) {
      // One statement for all of a proof's inner nodes: node:sqlite costs microseconds per call.
      const wanted = JSON.stringify(inner.map((i) => [ids[i]?.level, ids[i]?.index]));
      for (const row of this.#all<{ position: number; hash: Uint8Array }>(INNER_NODES, wanted)) {
        hashes[inner[row.position] as number] = bytes(row.hash);
      }
    }
    return hashes.map((hash, i) => {
      if (hash !== undefined) return hash;
      const { level, index } = ids[i] as NodeId;
      throw new Error(`tree ${this.#treeId} has no node at level ${level} index ${index}`);
    });
  }

  /** Level 0 is the leaf hash itself, so leaves are not stored twice. */
  #leafHash(index: number): Buffer | undefined {
    const row = this.#get<{ hash: Uint8Array }>(
      "SELECT leaf_hash AS hash FROM leaves WHERE tree_id = ? AND idx = ?",
      index,
    );
    return row && bytes(row.hash);
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
    if (hashes.length === 0) return [];
    // One statement for a whole batch's duplicate check, as for a proof's nodes.
    const wanted = JSON.stringify(hashes.map((hash) => hash.toString("hex")));
    return this.#all<LeafRow>(LEAVES_BY_HASH, wanted).map(toLeaf);
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
    await this.#appender.close?.();
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
}
