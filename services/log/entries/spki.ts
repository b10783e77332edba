/** A certificate's EC public key, read from its bytes without re-encoding them. */
import { type EcCurve, ecPoint, ecSpkiForm } from "../../common/ec-spki.ts";

export interface EcPublicKey {
  /** DER SubjectPublicKeyInfo, exactly as node would export it. */
  spki: Buffer;
  curve: EcCurve;
  /** Uncompressed point 0x04 ‖ X ‖ Y. */
  point: Buffer;
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
