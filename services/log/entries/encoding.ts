import { hash } from "node:crypto";
import { isPaddedBase64 } from "../../common/base64.ts";
import { reject } from "./rejection.ts";

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----$/;

/**
 * Standard padded base64 only, and only in its one canonical spelling (zero pad bits), so that
 * re-encoding the bytes — which is what Rekor's canonical forms hold — gives back the input.
 */
export function decodeBase64(value: string, field: string, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  // node's decoder skips what is not base64, so only a canonical input survives the round trip;
  // the pattern, slow on a certificate, only picks the message for what did not.
  const bytes = Buffer.from(value, "base64");
  if (bytes.toString("base64") !== value) {
    if (!isPaddedBase64(value)) reject("BAD_ENCODING", `${field}: not standard padded base64`);
    reject("BAD_ENCODING", `${field}: non-canonical base64`);
  }
  if (bytes.length > maxBytes) reject("MALFORMED_ENTRY", `${field}: longer than ${maxBytes} bytes`);
  return bytes;
}

export function decodeHex(value: string, field: string): Buffer {
  if (!HEX.test(value)) reject("BAD_ENCODING", `${field}: not hexadecimal`);
  return Buffer.from(value, "hex");
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Exactly one PEM block (RFC 7468), surrounding whitespace allowed, no explanatory text. */
export function decodePem(bytes: Buffer, field: string): PemBlock {
  const text = bytes.toString("utf8").trim();
  const blocks = text.split("-----BEGIN ").length - 1;
  if (blocks > 1)
    reject("UNSUPPORTED_KEY", `${field}: certificate chains are not accepted; send the leaf alone`);
  const match = PEM.exec(text);
  if (!match?.[1] || !match[2]) return reject("BAD_ENCODING", `${field}: not a PEM block`);
  const body = match[2].replace(/\r?\n/g, "");
  return { label: match[1], der: decodeBase64(body, `${field} (PEM body)`) };
}

export function sha256Hex(data: Buffer | string): string {
  return hash("sha256", data, "hex");
}
