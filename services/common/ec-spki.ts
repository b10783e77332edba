/**
 * Named-curve EC public keys with uncompressed points as DER SubjectPublicKeyInfo (RFC 5480 §2).
 * For each NIST curve every such key starts with the same bytes, up to the point's coordinates:
 * it is the one DER encoding of the key, the one node exports and the one Go's x509 reads. Code
 * that meets a key in this form can use it as it stands instead of asking OpenSSL to re-export it.
 */
export type EcCurve = "P-256" | "P-384" | "P-521";

export interface EcSpkiForm {
  curve: EcCurve;
  /** OpenSSL's name for the curve, as node reports it in `asymmetricKeyDetails.namedCurve`. */
  namedCurve: string;
  /** The bytes before X ‖ Y: algorithm, curve, BIT STRING header and the 0x04 of an uncompressed point. */
  prefix: Buffer;
  /** Bytes of the whole SubjectPublicKeyInfo. */
  length: number;
}

export const EC_SPKI_FORMS: readonly EcSpkiForm[] = [
  {
    curve: "P-256",
    namedCurve: "prime256v1",
    prefix: Buffer.from("3059301306072a8648ce3d020106082a8648ce3d03010703420004", "hex"),
    length: 91,
  },
  {
    curve: "P-384",
    namedCurve: "secp384r1",
    prefix: Buffer.from("3076301006072a8648ce3d020106052b8104002203620004", "hex"),
    length: 120,
  },
  {
    curve: "P-521",
    namedCurve: "secp521r1",
    prefix: Buffer.from("30819b301006072a8648ce3d020106052b810400230381860004", "hex"),
    length: 158,
  },
];

/** The form `spki` is in, when it is a named-curve EC key with an uncompressed point. */
export function ecSpkiForm(spki: Buffer): EcSpkiForm | undefined {
  return EC_SPKI_FORMS.find(
    ({ prefix, length }) =>
      spki.length === length && spki.compare(prefix, 0, prefix.length, 0, prefix.length) === 0,
  );
}

/** The form of keys on the curve OpenSSL names `namedCurve` (node's `asymmetricKeyDetails`). */
export function ecSpkiFormOfCurve(namedCurve: string | undefined): EcSpkiForm | undefined {
  return EC_SPKI_FORMS.find((form) => form.namedCurve === namedCurve);
}

/** The uncompressed point 0x04 ‖ X ‖ Y of a key in `form`. */
export function ecPoint(spki: Buffer, form: EcSpkiForm): Buffer {
  return spki.subarray(form.prefix.length - 1);
}
