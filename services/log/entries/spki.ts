/** A certificate's EC public key, read from its bytes without re-encoding them. */
import type { EcCurve } from "./ecdsa.ts";

// DER SubjectPublicKeyInfo headers of named-curve EC keys with uncompressed points (RFC 5480 §2).
const EC_SPKI_HEADERS: ReadonlyArray<{ curve: EcCurve; header: Buffer }> = [
  { curve: "P-256", header: Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex") },
  { curve: "P-384", header: Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex") },
  { curve: "P-521", header: Buffer.from("30819b301006072a8648ce3d020106052b8104002303818600", "hex") },
];

export interface EcPublicKey {
  /** DER SubjectPublicKeyInfo, exactly as node would export it. */
  spki: Buffer;
  curve: EcCurve;
  /** Uncompressed point 0x04 ‖ X ‖ Y. */
  point: Buffer;
}

/**
 * The certificate's SubjectPublicKeyInfo as it carries it (RFC 5280 §4.1.2.7), when that is an EC
 * key in the one DER form node would export it in: re-exporting and inspecting the key through
 * OpenSSL costs more than the ECDSA check itself. Anything else (RSA parameters may be spelled
 * several ways) gives undefined and goes through node.
 */
export function certificateEcKey(certificate: Buffer): EcPublicKey | undefined {
  const tbs = derChildren(certificate, 0)[0];
  if (!tbs) return undefined;
  const fields = derChildren(certificate, tbs.start);
  // TBSCertificate: [0] version (absent in v1), serial, signature, issuer, validity, subject, SPKI.
  const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
  if (!spki) return undefined;
  const bytes = certificate.subarray(spki.start, spki.end);
  const known = EC_SPKI_HEADERS.find(({ header }) => bytes.subarray(0, header.length).equals(header));
  if (!known || bytes[known.header.length] !== 0x04) return undefined;
  return { spki: bytes, curve: known.curve, point: bytes.subarray(known.header.length) };
}

/** Tag and extent of each element inside the constructed DER element at `offset` (definite lengths). */
function derChildren(der: Buffer, offset: number): Array<{ tag: number; start: number; end: number }> {
  const outer = derElement(der, offset);
  const children = [];
  for (let at = outer.contentStart; at < outer.end; ) {
    const child = derElement(der, at);
    children.push({ tag: child.tag, start: at, end: child.end });
    at = child.end;
  }
  return children;
}

function derElement(der: Buffer, offset: number): { tag: number; contentStart: number; end: number } {
  const tag = der[offset] ?? 0;
  const first = der[offset + 1] ?? 0;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (der[contentStart + i] ?? 0);
    contentStart += first & 0x7f;
  }
  return { tag, contentStart, end: Math.min(contentStart + length, der.length) };
}
