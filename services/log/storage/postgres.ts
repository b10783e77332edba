// PostgreSQL driver. Several replicas may append to one tree: the database is the single
// sequencer, and the row in `trees` is the lock every append takes. Batches travel as arrays
// (unnest), so a 1,000-leaf append is one round trip.
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

/**
 * A whole batch in one statement, hence one round trip and one implicit transaction: any failure
 * (a repeated leaf hash) writes nothing. The UPDATE moves the tree's size forward only from the
 * size the batch was computed on and holds the row lock until commit, as SELECT ... FOR UPDATE
 * would; a writer that waited on it re-checks the new size, matches no row and inserts nothing,
 * since every insert draws its rows from the UPDATE's result.
 */
const APPEND = `
  WITH advanced AS (
    UPDATE trees SET size = $3 WHERE tree_id = $1 AND size = $2 RETURNING tree_id
  ), new_leaves AS (
    INSERT INTO leaves (tree_id, ${LEAF_COLUMNS})
    SELECT advanced.tree_id, batch.* FROM advanced,
      unnest($4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[]) AS batch
  ), new_nodes AS (
    INSERT INTO nodes (tree_id, level, idx, hash)
    SELECT advanced.tree_id, batch.* FROM advanced, unnest($9::int[], $10::bigint[], $11::bytea[]) AS batch
  ), new_keys AS (
    -- An entry may yield the same key twice (e.g. one email in two places): one row is enough.
    INSERT INTO search_index (tree_id, key, idx)
    SELECT DISTINCT advanced.tree_id, batch.* FROM advanced, unnest($12::text[], $13::bigint[]) AS batch
    ON CONFLICT DO NOTHING
  ), new_checkpoint AS (
    -- Re-signing an unchanged tree within the same millisecond adds nothing a monitor needs.
    INSERT INTO checkpoints (tree_id, size, root_hash, timestamp, signed)
    SELECT tree_id, $3, $14::bytea, $15::bigint, $16::text FROM advanced
    ON CONFLICT DO NOTHING
  )
  SELECT count(*)::int AS advanced FROM advanced`;

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
    const { leaves, nodes, searchKeys, checkpoint } = batch;
    const { rows } = await this.#pool.query<{ advanced: number }>({
      name: "append",
      text: APPEND,
      values: [
        this.#treeId,
        batch.expectedSize,
        checkpoint.size,
        leaves.map((leaf) => leaf.index),
        leaves.map((leaf) => leaf.leafHash),
        leaves.map((leaf) => leaf.value),
        leaves.map((leaf) => leaf.extra),
        leaves.map((leaf) => leaf.integratedTime),
        nodes.map((node) => node.level),
        nodes.map((node) => node.index),
        nodes.map((node) => node.hash),
        searchKeys.map((entry) => entry.key),
        searchKeys.map((entry) => entry.index),
        checkpoint.rootHash,
        checkpoint.timestamp,
        checkpoint.signed,
      ],
    });
    if (rows[0]?.advanced === 1) return;
    const stored = await this.#pool.query<{ size: string }>("SELECT size FROM trees WHERE tree_id = $1", [
      this.#treeId,
    ]);
    throw new StaleTreeError(batch.expectedSize, Number(stored.rows[0]?.size ?? 0));
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
