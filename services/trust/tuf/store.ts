import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  Metadata,
  MetadataKind,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from "@tufjs/models";
import { TrustError } from "../errors.ts";
import { metadataBytes, type RoleMetadata } from "./roles.ts";

/**
 * A TUF repository directory laid out as a consistent-snapshot mirror (TUF spec §5.5, as tuf-js
 * fetches it): `N.root.json` for every root and `root.json` for the newest, `timestamp.json`,
 * `N.snapshot.json`, `N.targets.json`, and targets as `targets/<sha256>.<name>`. The directory is
 * served or uploaded as is; keys never live in it.
 */
export interface RepositoryState {
  root: Metadata<Root>;
  targets: Metadata<Targets>;
  snapshot: Metadata<Snapshot>;
  timestamp: Metadata<Timestamp>;
}

type JSONObject = Parameters<typeof Root.fromJSON>[0];

export const fileNames = {
  root: (version: number) => `${version}.root.json`,
  latestRoot: "root.json",
  targets: (version: number) => `${version}.targets.json`,
  snapshot: (version: number) => `${version}.snapshot.json`,
  timestamp: "timestamp.json",
  target: (sha256: string, name: string) => `targets/${sha256}.${name}`,
};

async function readJson(dir: string, name: string): Promise<JSONObject> {
  let text: string;
  try {
    text = await readFile(join(dir, name), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new TrustError("TUF_REPOSITORY_MISSING", `${join(dir, name)} does not exist`, { cause: error });
  }
  try {
    return JSON.parse(text) as JSONObject;
  } catch (error) {
    throw new TrustError("TUF_METADATA_INVALID", `${join(dir, name)} is not JSON`, { cause: error });
  }
}

/** The repository's newest metadata, following timestamp → snapshot → targets by version. */
export async function readRepository(dir: string): Promise<RepositoryState> {
  const root = Metadata.fromJSON(MetadataKind.Root, await readJson(dir, fileNames.latestRoot));
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, await readJson(dir, fileNames.timestamp));
  const snapshotVersion = timestamp.signed.snapshotMeta.version;
  const snapshot = Metadata.fromJSON(
    MetadataKind.Snapshot,
    await readJson(dir, fileNames.snapshot(snapshotVersion)),
  );
  const targetsMeta = snapshot.signed.meta["targets.json"];
  if (!targetsMeta) throw new TrustError("TUF_METADATA_INVALID", "snapshot does not list targets.json");
  const targets = Metadata.fromJSON(
    MetadataKind.Targets,
    await readJson(dir, fileNames.targets(targetsMeta.version)),
  );
  return { root, targets, snapshot, timestamp };
}

/** Whether `dir` holds a repository (its newest root). */
export async function repositoryExists(dir: string): Promise<boolean> {
  try {
    await readFile(join(dir, fileNames.latestRoot));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Atomic, so a server reading the directory never sees half a file. */
export async function writeRepositoryFile(dir: string, name: string, bytes: Buffer): Promise<void> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Writes metadata and answers the exact bytes written, which the role above pins by hash. */
export async function writeMetadata(
  dir: string,
  name: string,
  metadata: Metadata<RoleMetadata>,
): Promise<Buffer> {
  const bytes = metadataBytes(metadata);
  await writeRepositoryFile(dir, name, bytes);
  return bytes;
}

/** The content of a target as the repository serves it. */
export async function readTarget(
  dir: string,
  state: RepositoryState,
  name: string,
): Promise<Buffer | undefined> {
  const target = state.targets.signed.targets[name];
  const sha256 = target?.hashes.sha256;
  if (!sha256) return undefined;
  return readFile(join(dir, fileNames.target(sha256, name)));
}
