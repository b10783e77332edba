import type { Metadata, MetaFile, Root, TargetFile } from "@tufjs/models";
import type { Signer } from "../../common/signer/index.ts";
import { TrustError } from "../errors.ts";
import { signMetadata, tufKey } from "./keys.ts";
import {
  defaultExpiries,
  definitionOf,
  type Expiries,
  expiresAfter,
  metaFile,
  type RoleMetadata,
  type RoleName,
  type RootDefinition,
  rootMetadata,
  snapshotMetadata,
  targetFile,
  targetsMetadata,
  timestampMetadata,
} from "./roles.ts";
import {
  fileNames,
  type RepositoryState,
  readRepository,
  repositoryExists,
  writeMetadata,
  writeRepositoryFile,
} from "./store.ts";

/**
 * The operations on a TUF repository directory (TUF spec §4, consistent snapshots). Root and
 * targets are signed by offline keys at a ceremony; snapshot and timestamp by online signers
 * (a key file locally, Cloud KMS in the clouds). Every new version is checked against the root
 * exactly as tuf-js checks it, so a wrong or missing signer fails here, not at the clients.
 */
export interface RepositoryOptions {
  dir: string;
  /** When the new versions are signed; their expiries count from it. Defaults to now. */
  now?: Date;
  expiries?: Partial<Expiries>;
}

/** The signer of each role; root and targets may have several, counted against a threshold. */
export interface RepositorySigners {
  root: Signer[];
  targets: Signer[];
  snapshot: Signer;
  timestamp: Signer;
}

export interface InitOptions extends RepositoryOptions {
  signers: RepositorySigners;
  /** Signatures needed on root and on targets; 1 unless given. */
  thresholds?: { root?: number; targets?: number };
  /** Target name → content, e.g. `trusted_root.json`. */
  targets: Record<string, Buffer>;
}

export interface AddTargetsOptions extends RepositoryOptions {
  signers: Omit<RepositorySigners, "root">;
  /** Added or replaced by name; targets not named are kept. */
  targets: Record<string, Buffer>;
}

export interface RotateRootOptions extends RepositoryOptions {
  /** Keys of the current root: a threshold of them must sign the new root (client workflow 5.3.4). */
  currentRootSigners: Signer[];
  /**
   * Keys of the new root (which must sign it too, 5.3.5) and of any role whose keys change; a
   * role left out keeps its keys. Roles below a changed one are re-signed, so their signers are
   * required from the highest changed role down.
   */
  signers: Partial<RepositorySigners> & { root: Signer[] };
  thresholds?: { root?: number; targets?: number };
}

/** New versions of the roles below root; a changed role changes every role that pins it. */
type NewVersions =
  | { timestamp: Signer }
  | { snapshot: Signer; timestamp: Signer }
  | { targets: { files: Record<string, Buffer>; signers: Signer[] }; snapshot: Signer; timestamp: Signer };

interface Clock {
  now: Date;
  expires(role: RoleName): string;
}

function clockOf(options: RepositoryOptions): Clock {
  const now = options.now ?? new Date();
  const expiries = { ...defaultExpiries, ...options.expiries };
  return { now, expires: (role) => expiresAfter(now, expiries[role]) };
}

const roleKeys = (signers: readonly Signer[], threshold = 1) => ({
  keys: signers.map((signer) => tufKey(signer.publicKey)),
  threshold,
});

/**
 * Signs `metadata` and checks it as a client would against each root that must trust it (client
 * workflow 5.3–5.6): the root itself, and for a new root also the one before it.
 */
async function sign<T extends RoleMetadata>(
  roots: Metadata<Root>[],
  role: RoleName,
  metadata: Metadata<T>,
  signers: readonly Signer[],
): Promise<Metadata<T>> {
  await signMetadata(metadata, signers);
  for (const root of roots) {
    try {
      root.verifyDelegate(role, metadata);
    } catch (error) {
      const message = `${role} v${root.signed.version}: ${(error as Error).message}`;
      throw new TrustError("TUF_THRESHOLD_NOT_MET", message, { cause: error });
    }
  }
  return metadata;
}

/** Each key once, though it signs for the old root and the new. */
function distinct(signers: readonly Signer[]): Signer[] {
  const byKey = new Map(signers.map((signer) => [tufKey(signer.publicKey).keyID, signer]));
  return [...byKey.values()];
}

/** Flat names only: tuf-js puts the hash before the last path segment, which this layout does not. */
const targetName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function writeTargets(dir: string, files: Record<string, Buffer>): Promise<Record<string, TargetFile>> {
  const written: Record<string, TargetFile> = {};
  for (const [name, content] of Object.entries(files)) {
    if (!targetName.test(name)) {
      throw new TrustError(
        "TUF_METADATA_INVALID",
        `target name ${JSON.stringify(name)} is not a plain file name`,
      );
    }
    const target = targetFile(name, content);
    await writeRepositoryFile(dir, fileNames.target(target.hashes.sha256 as string, name), content);
    written[name] = target;
  }
  return written;
}

async function writeRoot(dir: string, root: Metadata<Root>): Promise<void> {
  await writeMetadata(dir, fileNames.root(root.signed.version), root);
  await writeMetadata(dir, fileNames.latestRoot, root);
}

function pinned<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TrustError("TUF_METADATA_INVALID", `the repository has no ${what}`);
  return value;
}

/**
 * Writes new versions, in the order a mirror must show them (TUF spec §6.1): targets files, then
 * targets, snapshot and root metadata, and the timestamp that makes them current last.
 */
async function publishVersions(
  dir: string,
  root: Metadata<Root>,
  previous: RepositoryState | undefined,
  versions: NewVersions,
  clock: Clock,
  newRoot: boolean,
): Promise<RepositoryState> {
  let targets = previous?.targets;
  let targetsMeta: MetaFile | undefined = previous?.snapshot.signed.meta["targets.json"];
  if ("targets" in versions) {
    const added = await writeTargets(dir, versions.targets.files);
    const version = (previous?.targets.signed.version ?? 0) + 1;
    const entries = { ...previous?.targets.signed.targets, ...added };
    const unsigned = targetsMetadata(entries, version, clock.expires("targets"));
    targets = await sign([root], "targets", unsigned, versions.targets.signers);
    targetsMeta = metaFile(version, await writeMetadata(dir, fileNames.targets(version), targets));
  }
  let snapshot = previous?.snapshot;
  let snapshotMeta = previous?.timestamp.signed.snapshotMeta;
  if ("snapshot" in versions) {
    const version = (previous?.snapshot.signed.version ?? 0) + 1;
    const unsigned = snapshotMetadata(pinned(targetsMeta, "targets"), version, clock.expires("snapshot"));
    snapshot = await sign([root], "snapshot", unsigned, [versions.snapshot]);
    snapshotMeta = metaFile(version, await writeMetadata(dir, fileNames.snapshot(version), snapshot));
  }
  if (newRoot) await writeRoot(dir, root);
  const version = (previous?.timestamp.signed.version ?? 0) + 1;
  const unsigned = timestampMetadata(pinned(snapshotMeta, "snapshot"), version, clock.expires("timestamp"));
  const timestamp = await sign([root], "timestamp", unsigned, [versions.timestamp]);
  await writeMetadata(dir, fileNames.timestamp, timestamp);
  return { root, targets: pinned(targets, "targets"), snapshot: pinned(snapshot, "snapshot"), timestamp };
}

/** A new repository: root v1 and the first targets, snapshot and timestamp. */
export async function initRepository(options: InitOptions): Promise<RepositoryState> {
  if (await repositoryExists(options.dir)) {
    throw new TrustError("TUF_REPOSITORY_EXISTS", `${options.dir} already holds a TUF repository`);
  }
  const { signers, thresholds } = options;
  const clock = clockOf(options);
  const definition: RootDefinition = {
    root: roleKeys(signers.root, thresholds?.root),
    targets: roleKeys(signers.targets, thresholds?.targets),
    snapshot: roleKeys([signers.snapshot]),
    timestamp: roleKeys([signers.timestamp]),
  };
  const unsigned = rootMetadata(definition, 1, clock.expires("root"));
  const root = await sign([unsigned], "root", unsigned, signers.root);
  const versions = {
    targets: { files: options.targets, signers: signers.targets },
    snapshot: signers.snapshot,
    timestamp: signers.timestamp,
  };
  return publishVersions(options.dir, root, undefined, versions, clock, true);
}

/** New targets (added or replaced), and the snapshot and timestamp that make them current. */
export async function addTargets(options: AddTargetsOptions): Promise<RepositoryState> {
  const state = await readRepository(options.dir);
  const { signers } = options;
  const versions = {
    targets: { files: options.targets, signers: signers.targets },
    snapshot: signers.snapshot,
    timestamp: signers.timestamp,
  };
  return publishVersions(options.dir, state.root, state, versions, clockOf(options), false);
}

/** A new snapshot and timestamp over the same targets, before the snapshot expires. */
export async function resignSnapshot(
  options: RepositoryOptions & { signers: { snapshot: Signer; timestamp: Signer } },
): Promise<RepositoryState> {
  const state = await readRepository(options.dir);
  const versions = { snapshot: options.signers.snapshot, timestamp: options.signers.timestamp };
  return publishVersions(options.dir, state.root, state, versions, clockOf(options), false);
}

/** A new timestamp version with a new expiry: the scheduled job that keeps the repository fresh. */
export async function resignTimestamp(
  options: RepositoryOptions & { signer: Signer },
): Promise<RepositoryState> {
  const state = await readRepository(options.dir);
  const versions = { timestamp: options.signer };
  return publishVersions(options.dir, state.root, state, versions, clockOf(options), false);
}

/**
 * Root N+1, signed by the current root keys and the new ones and written as `N+1.root.json`
 * (clients walk the chain one version at a time, §5.3). Rotating to the same keys renews an
 * expiring root.
 */
export async function rotateRoot(options: RotateRootOptions): Promise<RepositoryState> {
  const state = await readRepository(options.dir);
  const clock = clockOf(options);
  const current = definitionOf(state.root.signed);
  const { signers, thresholds } = options;
  const definition: RootDefinition = {
    root: roleKeys(signers.root, thresholds?.root ?? current.root.threshold),
    targets: signers.targets
      ? roleKeys(signers.targets, thresholds?.targets ?? current.targets.threshold)
      : current.targets,
    snapshot: signers.snapshot ? roleKeys([signers.snapshot]) : current.snapshot,
    timestamp: signers.timestamp ? roleKeys([signers.timestamp]) : current.timestamp,
  };
  const unsigned = rootMetadata(definition, state.root.signed.version + 1, clock.expires("root"));
  const rootSigners = distinct([...options.currentRootSigners, ...signers.root]);
  const root = await sign([state.root, unsigned], "root", unsigned, rootSigners);
  const versions = versionsAfterRotation(current, definition, signers);
  if (!versions) {
    await writeRoot(options.dir, root);
    return { ...state, root };
  }
  return publishVersions(options.dir, root, state, versions, clock, true);
}

const changed = (before: RootDefinition, after: RootDefinition, role: RoleName) =>
  before[role].threshold !== after[role].threshold ||
  before[role].keys.map((key) => key.keyID).join() !== after[role].keys.map((key) => key.keyID).join();

/** Roles below root re-signed because their keys, or the keys of a role they pin, changed. */
function versionsAfterRotation(
  before: RootDefinition,
  after: RootDefinition,
  signers: RotateRootOptions["signers"],
): NewVersions | undefined {
  const from = (["targets", "snapshot", "timestamp"] as const).find((role) => changed(before, after, role));
  if (!from) return undefined;
  const required = (role: RoleName) => {
    throw new TrustError(
      "TUF_THRESHOLD_NOT_MET",
      `the ${from} keys change, so ${role} must be re-signed: give its signer`,
    );
  };
  const timestamp = signers.timestamp ?? required("timestamp");
  if (from === "timestamp") return { timestamp };
  const snapshot = signers.snapshot ?? required("snapshot");
  if (from === "snapshot") return { snapshot, timestamp };
  return { targets: { files: {}, signers: signers.targets ?? required("targets") }, snapshot, timestamp };
}
