import { OctetString } from "asn1js";
import { decodeDigitallySigned, encodeDigitallySigned } from "./digitally-signed.ts";
import { TlsFormatError, TlsReader, uint, vector } from "./tls.ts";

/** RFC 6962 §3.2 SignedCertificateTimestamp (v1). `signature` is the DER ECDSA signature. */
export interface SignedCertificateTimestamp {
  logId: Buffer;
  timestamp: number;
  extensions: Buffer;
  signature: Buffer;
}

/** RFC 6962 §4.1 reply of `add-chain` and `add-pre-chain`. */
export interface SctJson {
  sct_version: number;
  id: string;
  timestamp: number;
  extensions: string;
  signature: string;
}

/** RFC 6962 §3.3: the X.509v3 extension carrying SCTs in a certificate. */
export const sctListExtensionOid = "1.3.6.1.4.1.11129.2.4.2";

const v1 = 0;

export function serializeSct(sct: SignedCertificateTimestamp): Buffer {
  if (sct.logId.length !== 32) throw new TlsFormatError("log id is 32 bytes");
  return Buffer.concat([
    Buffer.of(v1),
    sct.logId,
    uint(sct.timestamp, 8),
    vector(sct.extensions, 2),
    encodeDigitallySigned(sct.signature),
  ]);
}

/** RFC 6962 §3.3 SignedCertificateTimestampList: `opaque SerializedSCT<1..2^16-1>` entries in a vector. */
export function serializeSctList(scts: readonly SignedCertificateTimestamp[]): Buffer {
  if (scts.length === 0) throw new TlsFormatError("an SCT list holds at least one SCT");
  return vector(Buffer.concat(scts.map((sct) => vector(serializeSct(sct), 2, 1))), 2, 1);
}

/**
 * The extnValue content of the SCT-list extension: RFC 6962 §3.3 wraps the TLS list in a DER
 * OCTET STRING, which X.509 then wraps in the extension's own OCTET STRING.
 */
export function sctListExtensionValue(scts: readonly SignedCertificateTimestamp[]): Buffer {
  return Buffer.from(new OctetString({ valueHex: serializeSctList(scts) }).toBER());
}

export function sctToJson(sct: SignedCertificateTimestamp): SctJson {
  return {
    sct_version: v1,
    id: sct.logId.toString("base64"),
    timestamp: sct.timestamp,
    extensions: sct.extensions.toString("base64"),
    signature: encodeDigitallySigned(sct.signature).toString("base64"),
  };
}

/** The inverse of `sctToJson`, for a CA that receives SCTs over HTTP. */
export function sctFromJson(json: SctJson): SignedCertificateTimestamp {
  if (json.sct_version !== v1) throw new TlsFormatError(`unsupported sct_version ${json.sct_version}`);
  if (!Number.isSafeInteger(json.timestamp) || json.timestamp < 0) throw new TlsFormatError("bad timestamp");
  const logId = Buffer.from(json.id, "base64");
  if (logId.length !== 32) throw new TlsFormatError("log id is 32 bytes");
  const reader = new TlsReader(Buffer.from(json.signature, "base64"));
  const signature = decodeDigitallySigned(reader);
  reader.end();
  return { logId, timestamp: json.timestamp, extensions: Buffer.from(json.extensions, "base64"), signature };
}
