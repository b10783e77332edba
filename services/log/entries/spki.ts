/** A certificate's EC public key, read from its bytes without re-encoding them. */
import { childrenOf, DerFormatError, readTlv, type Tlv } from "../ct/der.ts";
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
 * Whether `der` is one certificate in strict DER, as Go's x509 (Rekor) reads one: every element,
 * and every element inside a constructed one, with a low tag number and a definite length in its
 * shortest form, children filling their parent exactly, and nothing after the certificate. OpenSSL
 * takes BER and trailing bytes too; this is what makes a walk of the bytes below see the same
 * fields OpenSSL parsed.
 */
export function isStrictDerCertificate(certificate: Buffer): boolean {
  const walk = (element: Tlv): void => {
    if (element.tag & 0x20) for (const child of childrenOf(certificate, element)) walk(child);
  };
  try {
    const outer = readTlv(certificate, 0);
    if (outer.end !== certificate.length) return false;
    walk(outer);
    return true;
  } catch (error) {
    if (error instanceof DerFormatError) return false;
    throw error;
  }
}

/**
 * A certificate's SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as an EC key, when it is one in the one
 * DER form node would export it in: re-exporting and inspecting the key through OpenSSL costs more
 * than the ECDSA check itself. Anything else (RSA parameters may be spelled several ways) gives
 * undefined and goes through node.
 */
export function ecPublicKey(spki: Buffer): EcPublicKey | undefined {
  const known = EC_SPKI_HEADERS.find(({ header }) => spki.subarray(0, header.length).equals(header));
  if (!known || spki[known.header.length] !== 0x04) return undefined;
  return { spki, curve: known.curve, point: spki.subarray(known.header.length) };
}
