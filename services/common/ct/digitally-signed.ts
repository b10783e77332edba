import { TlsFormatError, type TlsReader, vector } from "./tls.ts";

// RFC 5246 §7.4.1.4.1; RFC 6962 §2.1.4 allows logs ECDSA over P-256 with SHA-256.
const hashAlgorithmSha256 = 4;
const signatureAlgorithmEcdsa = 3;

/** RFC 5246 §4.7 `digitally-signed` with SHA-256 and ECDSA around a DER ECDSA signature. */
export function encodeDigitallySigned(signature: Buffer): Buffer {
  return Buffer.concat([Buffer.of(hashAlgorithmSha256, signatureAlgorithmEcdsa), vector(signature, 2)]);
}

export function decodeDigitallySigned(reader: TlsReader): Buffer {
  const hash = reader.uint(1);
  const algorithm = reader.uint(1);
  if (hash !== hashAlgorithmSha256 || algorithm !== signatureAlgorithmEcdsa) {
    throw new TlsFormatError(`unsupported signature algorithm (${hash}, ${algorithm})`);
  }
  return reader.vector(2);
}
