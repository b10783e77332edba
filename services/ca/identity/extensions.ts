/**
 * Fulcio's certificate extensions under 1.3.6.1.4.1.57264.1 (fulcio docs/oid-info.md,
 * pkg/certificate/extensions.go). .1.1–.1.6 carry raw bytes; .1.8 onwards a DER UTF8String.
 */
const fulcio = "1.3.6.1.4.1.57264.1";

export const FulcioOid = {
  issuer: `${fulcio}.1`,
  githubWorkflowTrigger: `${fulcio}.2`,
  githubWorkflowSha: `${fulcio}.3`,
  githubWorkflowName: `${fulcio}.4`,
  githubWorkflowRepository: `${fulcio}.5`,
  githubWorkflowRef: `${fulcio}.6`,
  issuerV2: `${fulcio}.8`,
  buildSignerUri: `${fulcio}.9`,
  buildSignerDigest: `${fulcio}.10`,
  runnerEnvironment: `${fulcio}.11`,
  sourceRepositoryUri: `${fulcio}.12`,
  sourceRepositoryDigest: `${fulcio}.13`,
  sourceRepositoryRef: `${fulcio}.14`,
  sourceRepositoryIdentifier: `${fulcio}.15`,
  sourceRepositoryOwnerUri: `${fulcio}.16`,
  sourceRepositoryOwnerIdentifier: `${fulcio}.17`,
  buildConfigUri: `${fulcio}.18`,
  buildConfigDigest: `${fulcio}.19`,
  buildTrigger: `${fulcio}.20`,
  runInvocationUri: `${fulcio}.21`,
  sourceRepositoryVisibilityAtSigning: `${fulcio}.22`,
  tokenSubject: `${fulcio}.24`,
} as const;

export interface ExtensionValue {
  oid: string;
  value: Buffer;
}

/** The DER encoding of `value` as an ASN.1 UTF8String (tag 0x0C), as Go's asn1.MarshalWithParams(s, "utf8"). */
export function utf8StringDer(value: string): Buffer {
  const content = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.of(0x0c), derLength(content.length), content]);
}

/** X.690 §8.1.3: short form below 128, else 0x80 | byte count followed by the big-endian length. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

/** A legacy extension (.1.1–.1.6): the string's bytes with no DER wrapping. */
export function rawExtension(oid: string, value: string): ExtensionValue {
  return { oid, value: Buffer.from(value, "utf8") };
}

export function utf8Extension(oid: string, value: string): ExtensionValue {
  return { oid, value: utf8StringDer(value) };
}
