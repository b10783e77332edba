import { createHash } from "node:crypto";
import { type Key, Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp } from "@tufjs/models";
import { TrustError } from "../errors.ts";

/** The four top-level roles (TUF spec §2.1); no delegations. */
export type RoleName = "root" | "targets" | "snapshot" | "timestamp";
export type RoleMetadata = Root | Targets | Snapshot | Timestamp;

/** Lifetimes in milliseconds: each new version of a role expires this long after it is signed. */
export type Expiries = Record<RoleName, number>;

const day = 24 * 60 * 60 * 1000;
/** Offline roles live long (re-signed at a ceremony); online ones short (re-signed by a job). */
export const defaultExpiries: Expiries = {
  root: 365 * day,
  targets: 182 * day,
  snapshot: 21 * day,
  timestamp: day,
};

/** The TUF specification version the metadata declares. */
const specVersion = "1.0.31";

/** Which keys may sign a role, and how many of them must. */
export interface RoleKeys {
  keys: Key[];
  threshold: number;
}

export type RootDefinition = Record<RoleName, RoleKeys>;

/** TUF spec §4.2: `expires` is ISO 8601 in UTC, whole seconds, as python-tuf requires. */
export function expiresAfter(now: Date, lifetime: number): string {
  return new Date(now.getTime() + lifetime).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function roleJson(name: RoleName, { keys, threshold }: RoleKeys) {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new TrustError(
      "TUF_THRESHOLD_NOT_MET",
      `${name}: threshold ${threshold} needs between 1 and ${keys.length} keys`,
    );
  }
  return { keyids: keys.map((key) => key.keyID), threshold };
}

/** The role keys a root names, so a rotation can keep the roles it does not change. */
export function definitionOf(root: Root): RootDefinition {
  const keysOf = (name: RoleName): RoleKeys => {
    const declared = root.roles[name];
    if (!declared) throw new TrustError("TUF_METADATA_INVALID", `root has no ${name} role`);
    const keys = declared.keyIDs.map((keyID) => root.keys[keyID]);
    if (keys.some((key) => key === undefined)) {
      throw new TrustError("TUF_METADATA_INVALID", `root names an unknown ${name} key`);
    }
    return { keys: keys as Key[], threshold: declared.threshold };
  };
  return {
    root: keysOf("root"),
    targets: keysOf("targets"),
    snapshot: keysOf("snapshot"),
    timestamp: keysOf("timestamp"),
  };
}

/**
 * Root with consistent snapshots (§5.5): versioned metadata and hash-prefixed targets. Built from
 * its JSON form (§4.3) because the models do not export their Role class.
 */
export function rootMetadata(definition: RootDefinition, version: number, expires: string): Metadata<Root> {
  const names: RoleName[] = ["root", "targets", "snapshot", "timestamp"];
  const keys = Object.fromEntries(
    names.flatMap((name) => definition[name].keys).map((key) => [key.keyID, key.toJSON()]),
  );
  const roles = Object.fromEntries(names.map((name) => [name, roleJson(name, definition[name])]));
  const signed = Root.fromJSON({
    _type: "root",
    spec_version: specVersion,
    version,
    expires,
    consistent_snapshot: true,
    keys,
    roles,
  });
  return new Metadata(signed);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** One SHA-256 hash: tuf-js prefixes a target's file name with its first listed hash. */
export function targetFile(name: string, content: Buffer): TargetFile {
  return new TargetFile({ path: name, length: content.length, hashes: { sha256: sha256(content) } });
}

export function targetsMetadata(
  targets: Record<string, TargetFile>,
  version: number,
  expires: string,
): Metadata<Targets> {
  return new Metadata(new Targets({ version, expires, specVersion, targets }));
}

/** Length and hash pin the exact file (§5.5.2), not only its version. */
export function metaFile(version: number, bytes: Buffer): MetaFile {
  return new MetaFile({ version, length: bytes.length, hashes: { sha256: sha256(bytes) } });
}

export function snapshotMetadata(
  targetsMeta: MetaFile,
  version: number,
  expires: string,
): Metadata<Snapshot> {
  const meta = { "targets.json": targetsMeta };
  return new Metadata(new Snapshot({ version, expires, specVersion, meta }));
}

export function timestampMetadata(
  snapshotMeta: MetaFile,
  version: number,
  expires: string,
): Metadata<Timestamp> {
  return new Metadata(new Timestamp({ version, expires, specVersion, snapshotMeta }));
}

/** The bytes a repository serves for a metadata file. */
export function metadataBytes(metadata: Metadata<RoleMetadata>): Buffer {
  return Buffer.from(`${JSON.stringify(metadata.toJSON(), null, 2)}\n`);
}
