/** A certificate's SubjectPublicKeyInfo bytes, read without re-encoding them. */

// DER SubjectPublicKeyInfo headers of named-curve EC keys with uncompressed points (RFC 5480 §2).
const EC_SPKI_HEADERS = [
  Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
  Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex"),
  Buffer.from("30819b301006072a8648ce3d020106052b8104002303818600", "hex"),
];

/**
 * The certificate's SubjectPublicKeyInfo as it carries it (RFC 5280 §4.1.2.7), when that is an EC
 * key in the one DER form node would export it in; re-exporting through OpenSSL costs more than
 * the whole signature check. Other keys (RSA parameters may be spelled several ways) are exported.
 */
export function certificateSpki(certificate: Buffer): Buffer | undefined {
  const tbs = derChildren(certificate, 0)[0];
  if (!tbs) return undefined;
  const fields = derChildren(certificate, tbs.start);
  // TBSCertificate: [0] version (absent in v1), serial, signature, issuer, validity, subject, SPKI.
  const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
  if (!spki) return undefined;
  const bytes = certificate.subarray(spki.start, spki.end);
  const header = EC_SPKI_HEADERS.find((h) => bytes.subarray(0, h.length).equals(h));
  return header && bytes[header.length] === 0x04 ? bytes : undefined;
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
