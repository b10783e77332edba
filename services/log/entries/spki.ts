/** A certificate's EC public key, read from its bytes without re-encoding them. */

import { type EcCurve, ecPoint, ecSpkiForm } from "../../common/ec-spki.ts";
import { childrenOf, DerFormatError, readTlv, type Tlv } from "../ct/der.ts";

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
  try {
    const outer = readTlv(certificate, 0);
    if (outer.end !== certificate.length) return false;
    walkStrict(certificate, outer);
    return true;
  } catch (error) {
    if (error instanceof DerFormatError) return false;
    throw error;
  }
}

// A module-level function, not a closure made per call: V8 compiled such a closure afresh many
// times over a run of appends (perf map of the log, 2026-12-08).
function walkStrict(certificate: Buffer, element: Tlv): void {
  if (element.tag & 0x20)
    for (const child of childrenOf(certificate, element)) walkStrict(certificate, child);
}

/**
 * A certificate's SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as an EC key, when it is one in the one
 * DER form node would export it in: re-exporting and inspecting the key through OpenSSL costs more
 * than the ECDSA check itself. Anything else (RSA parameters may be spelled several ways) gives
 * undefined and goes through node.
 */
export function ecPublicKey(spki: Buffer): EcPublicKey | undefined {
  const form = ecSpkiForm(spki);
  return form && { spki, curve: form.curve, point: ecPoint(spki, form) };
}
