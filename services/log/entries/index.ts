/**
 * Rekor entry kinds: validation, signature verification, canonicalization and search keys for
 * what POST /api/v1/log/entries accepts (Rekor openapi.yaml ProposedEntry).
 */
import { z } from "zod";
import { dsseV001 } from "./dsse.ts";
import { hashedRekordV001 } from "./hashedrekord.ts";
import { intotoV002 } from "./intoto.ts";
import { jcs } from "./jcs.ts";
import { parseShape, reject } from "./rejection.ts";
import type { EntryKind, EntryType, ValidatedEntry } from "./types.ts";
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
  const { kind, apiVersion, spec } = parseShape(ProposedEntry, proposed, "entry");
  const type = entryType(kind, apiVersion);
  const canonical = type.canonicalize(spec);
  // Rekor pkg/types/entries.go CanonicalizeEntry: JCS over {apiVersion, kind, spec}.
  return {
    kind: type.kind,
    apiVersion,
    canonicalBody: jcs({ apiVersion, kind, spec: canonical.spec }),
    searchKeys: [...new Set(canonical.searchKeys)],
  };
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
