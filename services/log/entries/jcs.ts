import canonicalizeModule from "canonicalize";

// canonicalize's typings declare an ES default export, but the package is CommonJS whose
// module.exports is the function itself, which is what node hands to a default import.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

/** RFC 8785 JSON Canonicalization Scheme, UTF-8 encoded. */
export function jcs(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return Buffer.from(text, "utf8");
}
