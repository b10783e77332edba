// PostgreSQL driver. Several replicas may append to one tree: the database is the single
// sequencer, and the row in `trees` is the lock every append takes. Batches travel as arrays
// (unnest), so a 1,000-leaf append is a handful of round trips.
import pg from "pg";
import { checkBatch } from "./batch.ts";
import { createMigrationsTable, pendingMigrations, postgresDialect } from "./migrations.ts";
import {
  type AppendBatch,
  type LeafRecord,
  type NodeId,
  StaleTreeError,
  type StoredCheckpoint,
  type TreeStorage,
} from "./types.ts";

// Serializes replicas that start together; the value only has to be unique among our locks.
const MIGRATION_LOCK = 0x5369676e6574;
const LEAF_COLUMNS = "idx, leaf_hash, value, extra, integrated_time";

// BIGINT arrives as a string: tree positions and times stay far below 2^53.
interface LeafRow {
  idx: string;
  leaf_hash: Buffer;
  value: Buffer;
  extra: Buffer | null;
  integrated_time: string;
}

export async function openPostgres(url: string, treeId: string): Promise<TreeStorage> {
  const pool = new pg.Pool({ connectionString: url });
  // An idle client losing its connection must not crash the process; the pool replaces it and
  // the next query reports the outage.
  pool.on("error", () => {});
  try {
    await migrate(pool);
    await pool.query("INSERT INTO trees (tree_id, size) VALUES ($1, 0) ON CONFLICT DO NOTHING", [treeId]);
    return new PostgresTreeStorage(pool, treeId);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(createMigrationsTable);
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    for (const migration of pendingMigrations(new Set(rows.map((row) => row.version)))) {
      for (const statement of migration.statements(postgresDialect)) await client.query(statement);
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
    }
  });
}

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    client.release();
    return result;
  } catch (error) {
    // A client that cannot even roll back is broken: destroy it instead of pooling it.
    const broken = await client.query("ROLLBACK").then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    client.release(broken);
    throw error;
  }
}

function toLeaf(row: LeafRow): LeafRecord {
  return {
    index: Number(row.idx),
    leafHash: row.leaf_hash,
    value: row.value,
    extra: row.extra,
    integratedTime: Number(row.integrated_time),
  };
}

class PostgresTreeStorage implements TreeStorage {
  readonly #pool: pg.Pool;
  readonly #treeId: string;

  constructor(pool: pg.Pool, treeId: string) {
    this.#pool = pool;
    this.#treeId = treeId;
  }

  async head(): Promise<StoredCheckpoint | undefined> {
    const { rows } = await this.#pool.query<{
      size: string;
      root_hash: Buffer;
      timestamp: string;
      signed: string;
    }>({
      name: "head",
      text: `SELECT size, root_hash, timestamp, signed FROM checkpoints WHERE tree_id = $1
             ORDER BY size DESC, timestamp DESC LIMIT 1`,
      values: [this.#treeId],
    });
    const row = rows[0];
    return (
      row && {
        size: Number(row.size),
        rootHash: row.root_hash,
        timestamp: Number(row.timestamp),
        signed: row.signed,
      }
    );
  }

  async append(batch: AppendBatch): Promise<void> {
    checkBatch(batch);
    await inTransaction(this.#pool, async (client) => {
      await this.#lockTree(client, batch.expectedSize, batch.checkpoint.size);
      await this.#insertLeaves(client, batch.leaves);
      await this.#insertNodes(client, batch);
      await this.#insertSearchKeys(client, batch);
      await client.query(
        `INSERT INTO checkpoints (tree_id, size, root_hash, timestamp, signed) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [
          this.#treeId,
          batch.checkpoint.size,
          batch.checkpoint.rootHash,
          batch.checkpoint.timestamp,
          batch.checkpoint.signed,
        ],
      );
    });
  }

  /**
   * Moves the tree's size forward only if it still is the size the batch was computed on. The
   * update holds the row lock until commit (as SELECT ... FOR UPDATE would, one round trip
   * sooner); a writer that waited on it re-reads the new size and finds itself stale.
   */
  async #lockTree(client: pg.PoolClient, expectedSize: number, newSize: number): Promise<void> {
    const updated = await client.query("UPDATE trees SET size = $3 WHERE tree_id = $1 AND size = $2", [
      this.#treeId,
      expectedSize,
      newSize,
    ]);
    if (updated.rowCount === 1) return;
    const { rows } = await client.query<{ size: string }>("SELECT size FROM trees WHERE tree_id = $1", [
      this.#treeId,
    ]);
    throw new StaleTreeError(expectedSize, Number(rows[0]?.size ?? 0));
  }

  async #insertLeaves(client: pg.PoolClient, leaves: readonly LeafRecord[]): Promise<void> {
    if (leaves.length === 0) return;
    await client.query(
      `INSERT INTO leaves (tree_id, ${LEAF_COLUMNS})
       SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bigint[])`,
      [
        this.#treeId,
        leaves.map((leaf) => leaf.index),
        leaves.map((leaf) => leaf.leafHash),
        leaves.map((leaf) => leaf.value),
        leaves.map((leaf) => leaf.extra),
        leaves.map((leaf) => leaf.integratedTime),
      ],
    );
  }

  async #insertNodes(client: pg.PoolClient, { nodes }: AppendBatch): Promise<void> {
    if (nodes.length === 0) return;
    await client.query(
      "INSERT INTO nodes (tree_id, level, idx, hash) SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])",
      [
        this.#treeId,
        nodes.map((node) => node.level),
        nodes.map((node) => node.index),
        nodes.map((node) => node.hash),
      ],
    );
  }

  async #insertSearchKeys(client: pg.PoolClient, { searchKeys }: AppendBatch): Promise<void> {
    if (searchKeys.length === 0) return;
    // An entry may yield the same key twice (e.g. one email in two places): one row is enough.
    await client.query(
      `INSERT INTO search_index (tree_id, key, idx) SELECT DISTINCT $1, * FROM unnest($2::text[], $3::bigint[])
       ON CONFLICT DO NOTHING`,
      [this.#treeId, searchKeys.map((entry) => entry.key), searchKeys.map((entry) => entry.index)],
    );
  }

  async nodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    // Level 0 is the leaf hash itself; both kinds come back in one query, in the order asked.
    const { rows } = await this.#pool.query<{ level: number; idx: string; hash: Buffer | null }>({
      name: "nodes",
      text: `SELECT wanted.level, wanted.idx, COALESCE(n.hash, l.leaf_hash) AS hash
             FROM unnest($2::int[], $3::bigint[]) WITH ORDINALITY AS wanted(level, idx, position)
             LEFT JOIN nodes n ON wanted.level > 0 AND n.tree_id = $1 AND n.level = wanted.level AND n.idx = wanted.idx
             LEFT JOIN leaves l ON wanted.level = 0 AND l.tree_id = $1 AND l.idx = wanted.idx
             ORDER BY wanted.position`,
      values: [this.#treeId, ids.map((id) => id.level), ids.map((id) => id.index)],
    });
    return rows.map((row) => {
      if (row.hash === null) {
        throw new Error(`tree ${this.#treeId} has no node at level ${row.level} index ${row.idx}`);
      }
      return row.hash;
    });
  }

  async leafAt(index: number): Promise<LeafRecord | undefined> {
    const { rows } = await this.#pool.query<LeafRow>({
      name: "leaf-at",
      text: `SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = $1 AND idx = $2`,
      values: [this.#treeId, index],
    });
    return rows[0] && toLeaf(rows[0]);
  }

  async leaves(start: number, end: number): Promise<LeafRecord[]> {
    const { rows } = await this.#pool.query<LeafRow>(
      `SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`,
      [this.#treeId, start, end],
    );
    return rows.map(toLeaf);
  }

  async leavesByHash(hashes: readonly Buffer[]): Promise<LeafRecord[]> {
    if (hashes.length === 0) return [];
    const { rows } = await this.#pool.query<LeafRow>({
      name: "leaves-by-hash",
      text: `SELECT ${LEAF_COLUMNS} FROM leaves WHERE tree_id = $1 AND leaf_hash = ANY($2::bytea[]) ORDER BY idx`,
      values: [this.#treeId, hashes],
    });
    return rows.map(toLeaf);
  }

  async search(key: string): Promise<number[]> {
    const { rows } = await this.#pool.query<{ idx: string }>({
      name: "search",
      text: "SELECT idx FROM search_index WHERE tree_id = $1 AND key = $2 ORDER BY idx",
      values: [this.#treeId, key],
    });
    return rows.map((row) => Number(row.idx));
  }

  async ping(): Promise<void> {
    await this.#pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    if (!this.#pool.ending) await this.#pool.end();
  }
}
