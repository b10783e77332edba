import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Metadata, Root } from "@tufjs/models";
import type { Signer } from "../common/signer/index.ts";
import { loadFileSigner } from "../common/signer/local.ts";
import type { SigningConfigJson } from "./signing-config.ts";
import type { TrustedRootJson } from "./trusted-root.ts";
import { tufKey } from "./tuf/keys.ts";
import { addTargets, initRepository, resignSnapshot, resignTimestamp, rotateRoot } from "./tuf/repository.ts";
import { defaultExpiries, definitionOf, type Expiries, type RoleName } from "./tuf/roles.ts";
import { fileNames, type RepositoryState, readRepository, repositoryExists } from "./tuf/store.ts";

/** Target names as the public-good repository (sigstore/root-signing) and @sigstore/tuf use them. */
export const targetNames = {
  trustedRoot: "trusted_root.json",
  signingConfig: "signing_config.v0.2.json",
};

export interface LocalTrustOptions {
  /** The repository directory the local TUF server serves as is. */
  dir: string;
  /** Where the root and targets key files live (generated on first start); never inside `dir`. */
  keysDir?: string;
  trustedRoot: TrustedRootJson;
  signingConfig: SigningConfigJson;
  /** Signs snapshot and timestamp, as the KMS key does in the clouds. */
  onlineSigner: Signer;
  now?: Date;
  expiries?: Partial<Expiries>;
}

export interface LocalTrust {
  state: RepositoryState;
  /** The root a client starts from (`tufRootPath`). */
  rootPath: string;
}

const targetBytes = (json: unknown) => Buffer.from(`${JSON.stringify(json, null, 2)}\n`);

/** Re-signed once less than half its lifetime is left, so a restart a day later never serves expired metadata. */
function renewalDue(expires: string, lifetime: number, now: Date): boolean {
  return Date.parse(expires) - now.getTime() < lifetime / 2;
}

function sameKeys(root: Metadata<Root>, role: RoleName, signers: Signer[]): boolean {
  const declared = definitionOf(root.signed)[role].keys.map((key) => key.keyID);
  return declared.join() === signers.map((signer) => tufKey(signer.publicKey).keyID).join();
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/**
 * The local instance's TUF repository, created on first start and brought up to date on every
 * later one with the same keys: a new root when a key below root changed or the root nears
 * expiry, new targets when the trusted root or signing config changed, and fresh snapshot and
 * timestamp versions before they expire. Nothing is re-signed when nothing is due, so calling it
 * periodically keeps a long-running instance fresh.
 */
export async function buildLocalTrust(options: LocalTrustOptions): Promise<LocalTrust> {
  const { dir, onlineSigner } = options;
  const keysDir = options.keysDir ?? `${dir}-keys`;
  const offline = (name: string) =>
    loadFileSigner({ path: join(keysDir, `${name}.pem`), algorithm: "ecdsa-p256-sha256", create: true });
  const [rootSigner, targetsSigner] = await Promise.all([offline("root"), offline("targets")]);
  const signers = {
    root: [rootSigner],
    targets: [targetsSigner],
    snapshot: onlineSigner,
    timestamp: onlineSigner,
  };
  const targets = {
    [targetNames.trustedRoot]: targetBytes(options.trustedRoot),
    [targetNames.signingConfig]: targetBytes(options.signingConfig),
  };
  const base = { dir, now: options.now ?? new Date(), expiries: options.expiries };
  const rootPath = join(dir, fileNames.latestRoot);
  if (!(await repositoryExists(dir))) {
    return { state: await initRepository({ ...base, signers, targets }), rootPath };
  }
  const lifetimes = { ...defaultExpiries, ...options.expiries };
  let state = await readRepository(dir);
  const keysChanged =
    !sameKeys(state.root, "targets", signers.targets) ||
    !sameKeys(state.root, "snapshot", [onlineSigner]) ||
    !sameKeys(state.root, "timestamp", [onlineSigner]);
  if (keysChanged || renewalDue(state.root.signed.expires, lifetimes.root, base.now)) {
    state = await rotateRoot({ ...base, currentRootSigners: signers.root, signers });
  }
  const stale = Object.entries(targets).some(
    ([name, content]) => state.targets.signed.targets[name]?.hashes.sha256 !== sha256(content),
  );
  if (stale || renewalDue(state.targets.signed.expires, lifetimes.targets, base.now)) {
    state = await addTargets({ ...base, signers, targets });
  } else if (renewalDue(state.snapshot.signed.expires, lifetimes.snapshot, base.now)) {
    state = await resignSnapshot({ ...base, signers });
  } else if (renewalDue(state.timestamp.signed.expires, lifetimes.timestamp, base.now)) {
    state = await resignTimestamp({ ...base, signer: onlineSigner });
  }
  return { state, rootPath };
}
