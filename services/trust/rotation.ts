import { TrustError } from "./errors.ts";
import {
  type AuthorityDescription,
  authoritiesByStart,
  buildTrustedRoot,
  type CertificateAuthorityJson,
  certificateAuthorityJson,
  type InstanceDescription,
  type LogDescription,
  logsByStart,
  rfc3339,
  type TimeRangeJson,
  type TransparencyLogJson,
  type TrustedRootJson,
  transparencyLogJson,
} from "./trusted-root.ts";

/**
 * Key rotation in a trusted root. sigstore_trustroot.proto: the lists "MUST include any
 * previously used instance -- otherwise signatures made in the past cannot be verified", so a
 * rotation only ends the current entry's window and adds the new one; history is never rewritten.
 */
export type TrustedRootKind = "tlogs" | "ctlogs" | "certificateAuthorities" | "timestampAuthorities";

/** What a new entry of each kind is described by; its window is set by the rotation. */
export type EntryOf<K extends TrustedRootKind> = K extends "tlogs" | "ctlogs"
  ? Omit<LogDescription, "validFor">
  : Omit<AuthorityDescription, "validFor">;

type JsonOf<K extends TrustedRootKind> = TrustedRootJson[K][number];

interface KindRules<J> {
  toJson(entry: EntryOf<TrustedRootKind>, start: Date): J;
  window(entry: J): TimeRangeJson;
  withWindow(entry: J, window: TimeRangeJson): J;
  /** Entries with the same identity are the same trust anchor. */
  identity(entry: J): string;
  order(a: J, b: J): number;
}

const logRules: KindRules<TransparencyLogJson> = {
  toJson: (entry, start) =>
    transparencyLogJson({ ...(entry as Omit<LogDescription, "validFor">), validFor: { start } }),
  window: (log) => log.publicKey.validFor,
  withWindow: (log, validFor) => ({ ...log, publicKey: { ...log.publicKey, validFor } }),
  identity: (log) => `${log.baseUrl} ${log.logId.keyId}`,
  order: logsByStart,
};

const authorityRules: KindRules<CertificateAuthorityJson> = {
  toJson: (entry, start) =>
    certificateAuthorityJson({ ...(entry as Omit<AuthorityDescription, "validFor">), validFor: { start } }),
  window: (ca) => ca.validFor,
  withWindow: (ca, validFor) => ({ ...ca, validFor }),
  identity: (ca) => `${ca.uri} ${ca.certChain.certificates.map((c) => c.rawBytes).join(",")}`,
  order: authoritiesByStart,
};

function rulesFor<K extends TrustedRootKind>(kind: K): KindRules<JsonOf<K>> {
  const rules = kind === "tlogs" || kind === "ctlogs" ? logRules : authorityRules;
  return rules as unknown as KindRules<JsonOf<K>>;
}

function isCurrent(window: TimeRangeJson, at: Date): boolean {
  return Date.parse(window.start) <= at.getTime() && (!window.end || Date.parse(window.end) > at.getTime());
}

/**
 * Ends, at `at`, the windows of the current entries `retire` selects, and adds `entries` valid
 * from `at`. An entry starting after `at` would make the history out of order, so it is refused.
 */
function rotateEntries<K extends TrustedRootKind>(
  root: TrustedRootJson,
  kind: K,
  retire: (entry: JsonOf<K>) => boolean,
  entries: JsonOf<K>[],
  at: Date,
): TrustedRootJson {
  const rules = rulesFor(kind);
  const existing = root[kind] as JsonOf<K>[];
  const later = existing.find((entry) => Date.parse(rules.window(entry).start) > at.getTime());
  if (later) {
    throw new TrustError(
      "TRUSTED_ROOT_ROTATION_INVALID",
      `${kind}: an entry starts at ${rules.window(later).start}, after the rotation at ${rfc3339(at)}`,
    );
  }
  const ended = existing.map((entry) =>
    isCurrent(rules.window(entry), at) && retire(entry)
      ? rules.withWindow(entry, { ...rules.window(entry), end: rfc3339(at) })
      : entry,
  );
  const added = entries.map((entry) => rules.withWindow(entry, { start: rfc3339(at) }));
  return { ...root, [kind]: [...ended, ...added].sort(rules.order) };
}

/** Ends every current entry of `kind` at `at` and adds `entry`, valid from `at`. */
export function rotate<K extends TrustedRootKind>(
  root: TrustedRootJson,
  kind: K,
  entry: EntryOf<K>,
  at: Date,
): TrustedRootJson {
  const rules = rulesFor(kind);
  const added = rules.toJson(entry, at);
  if ((root[kind] as JsonOf<K>[]).some((known) => rules.identity(known) === rules.identity(added))) {
    throw new TrustError("TRUSTED_ROOT_ROTATION_INVALID", `${kind}: the new entry is already trusted`);
  }
  return rotateEntries(root, kind, () => true, [added], at);
}

const kinds: TrustedRootKind[] = ["tlogs", "ctlogs", "certificateAuthorities", "timestampAuthorities"];

/**
 * Brings a published trusted root up to date with the instance as it is now: entries not yet
 * trusted are added from `at`, current entries the instance no longer has end at `at`. An
 * unchanged instance returns `previous` itself, so a restart publishes nothing new.
 */
export function reconcile(
  previous: TrustedRootJson | undefined,
  instance: InstanceDescription,
  at: Date,
): TrustedRootJson {
  const described = buildTrustedRoot(instance);
  if (!previous) return described;
  let root = previous;
  for (const kind of kinds) root = reconcileKind(root, described[kind], kind, at);
  return root;
}

function reconcileKind<K extends TrustedRootKind>(
  root: TrustedRootJson,
  described: JsonOf<K>[],
  kind: K,
  at: Date,
): TrustedRootJson {
  const rules = rulesFor(kind);
  const existing = root[kind] as JsonOf<K>[];
  const wanted = new Set(described.map(rules.identity));
  const known = new Set(existing.map(rules.identity));
  const added = described.filter((entry) => !known.has(rules.identity(entry)));
  const retire = (entry: JsonOf<K>) => !wanted.has(rules.identity(entry));
  const retired = existing.filter((entry) => isCurrent(rules.window(entry), at) && retire(entry));
  if (added.length === 0 && retired.length === 0) return root;
  return rotateEntries(root, kind, retire, added, at);
}
