/**
 * Rekor entry kinds: validation, signature verification, canonicalization and search keys for
 * what POST /api/v1/log/entries accepts (Rekor openapi.yaml ProposedEntry).
 */
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { dsseV001 } from "./dsse.ts";
import { verifyEcdsaDigests } from "./ecdsa.ts";
import { hashedRekordV001 } from "./hashedrekord.ts";
import { intotoV002 } from "./intoto.ts";
import { jcs } from "./jcs.ts";
import { parseShape, reject } from "./rejection.ts";
import type { CanonicalSpec, EntryKind, EntryType, ValidatedEntry } from "./types.ts";
import { validationPool } from "./validation-pool.ts";

export { type SearchQuery, searchKeysForQuery } from "./search.ts";
export type { EntryKind, ValidatedEntry } from "./types.ts";

const ENTRY_TYPES: Readonly<Record<EntryKind, readonly EntryType[]>> = {
  hashedrekord: [hashedRekordV001],
  dsse: [dsseV001],
  intoto: [intotoV002],
};

const ProposedEntry = z.strictObject({
  kind: z.string(),
  apiVersion: z.string(),
  spec: z.unknown(),
});

export function validateProposedEntry(proposed: unknown): ValidatedEntry {
  const [validated] = validateProposedEntries([proposed]);
  if (validated instanceof Error) throw validated;
  return validated as ValidatedEntry;
}

/**
 * validateProposedEntry for several proposals: each gets its entry, or the error it was refused
 * with. Their ECDSA checks run together and share their modular inversions.
 */
export function validateProposedEntries(proposals: readonly unknown[]): Array<ValidatedEntry | Error> {
  const staged = proposals.map((proposed) => {
    try {
      return stage(proposed);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const deferred = staged.flatMap((s) => (s instanceof Error || !s.deferred ? [] : [s.deferred.check]));
  let verdicts: boolean[] | Error;
  try {
    verdicts = verifyEcdsaDigests(deferred);
  } catch (error) {
    verdicts = error instanceof Error ? error : new Error(String(error));
  }
  let next = 0;
  return staged.map((s) => {
    if (s instanceof Error) return s;
    if (s.deferred && verdicts instanceof Error) return verdicts;
    if (s.deferred && !(verdicts as boolean[])[next++])
      return new ApiError(400, s.deferred.refusal.code, s.deferred.refusal.message);
    return s.entry;
  });
}

function stage(proposed: unknown): { entry: ValidatedEntry; deferred: CanonicalSpec["deferred"] } {
  const { kind, apiVersion, spec } = parseShape(ProposedEntry, proposed, "entry");
  const type = entryType(kind, apiVersion);
  const canonical = type.canonicalize(spec);
  // Rekor pkg/types/entries.go CanonicalizeEntry: JCS over {apiVersion, kind, spec}.
  const entry = {
    kind: type.kind,
    apiVersion,
    canonicalBody: jcs({ apiVersion, kind, spec: canonical.spec }),
    searchKeys: [...new Set(canonical.searchKeys)],
  };
  return { entry, deferred: canonical.deferred };
}

/**
 * validateProposedEntry on a worker thread, for the append route: the same checks and the same
 * ApiErrors, without holding up the event loop for the signature check.
 */
export function validateProposedEntryAsync(proposed: unknown): Promise<ValidatedEntry> {
  return validationPool.validate(proposed);
}

function entryType(kind: string, apiVersion: string): EntryType {
  if (!Object.hasOwn(ENTRY_TYPES, kind))
    reject("UNSUPPORTED_KIND", `entry.kind: ${kind.slice(0, 32)} is not one of hashedrekord, dsse, intoto`);
  const versions = ENTRY_TYPES[kind as EntryKind];
  const type = versions.find((t) => t.apiVersion === apiVersion);
  if (!type) {
    const supported = versions.map((t) => t.apiVersion).join(", ");
    reject(
      "UNSUPPORTED_VERSION",
      `entry.apiVersion: ${kind} ${apiVersion.slice(0, 16)} is not supported (${supported})`,
    );
  }
  return type;
}
