// Versioned schema shared by both drivers. A migration is never edited once released: changes
// come as a new version. Every table is keyed by tree_id so one database can hold several trees
// (a log shard and the CT log).

export interface Dialect {
  /** Column type for hashes and opaque bytes. */
  bytes: "BLOB" | "BYTEA";
  /** Clustered tables where the dialect supports them (SQLite); saves one index per table. */
  clustered: "WITHOUT ROWID" | "";
}

export interface Migration {
  version: number;
  name: string;
  statements(dialect: Dialect): string[];
}

export const sqliteDialect: Dialect = { bytes: "BLOB", clustered: "WITHOUT ROWID" };
export const postgresDialect: Dialect = { bytes: "BYTEA", clustered: "" };

export const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "trees, leaves, nodes, checkpoints, search index",
    statements: ({ bytes, clustered }) => [
      // The row append locks and checks: the database is the single sequencer.
      "CREATE TABLE trees (tree_id TEXT PRIMARY KEY, size BIGINT NOT NULL)",
      `CREATE TABLE leaves (
        tree_id TEXT NOT NULL, idx BIGINT NOT NULL, leaf_hash ${bytes} NOT NULL, value ${bytes} NOT NULL,
        extra ${bytes}, integrated_time BIGINT NOT NULL, PRIMARY KEY (tree_id, idx))`,
      "CREATE UNIQUE INDEX leaves_by_hash ON leaves (tree_id, leaf_hash)",
      `CREATE TABLE nodes (
        tree_id TEXT NOT NULL, level INTEGER NOT NULL, idx BIGINT NOT NULL, hash ${bytes} NOT NULL,
        PRIMARY KEY (tree_id, level, idx)) ${clustered}`,
      // Every checkpoint is kept: monitors ask for consistency with any size handed out.
      `CREATE TABLE checkpoints (
        tree_id TEXT NOT NULL, size BIGINT NOT NULL, root_hash ${bytes} NOT NULL,
        timestamp BIGINT NOT NULL, signed TEXT NOT NULL, PRIMARY KEY (tree_id, size, timestamp)) ${clustered}`,
      `CREATE TABLE search_index (
        tree_id TEXT NOT NULL, key TEXT NOT NULL, idx BIGINT NOT NULL,
        PRIMARY KEY (tree_id, key, idx)) ${clustered}`,
    ],
  },
];

export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  return migrations.filter((migration) => !applied.has(migration.version));
}
