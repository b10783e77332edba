import * as asn1js from "asn1js";
import { TimeStampReq } from "pkijs";
import { isPaddedBase64 } from "../../common/base64.ts";
import { ApiError } from "../../common/errors.ts";
import { type HashAlgorithm, hashAlgorithmByOid, isHashAlgorithm } from "./algorithms.ts";

export interface TimestampRequest {
  hashAlgorithm: HashAlgorithm;
  messageImprint: Buffer;
  nonce?: bigint;
  certReq: boolean;
  policy?: string;
}

// A nonce is a random number of a few dozen digits; a bound keeps BigInt parsing cheap.
const NONCE_TEXT = /^-?\d{1,200}$/;

export function requireHashAlgorithm(name: unknown): HashAlgorithm {
  if (typeof name === "string" && isHashAlgorithm(name.toLowerCase())) {
    return name.toLowerCase() as HashAlgorithm;
  }
  throw new ApiError(
    400,
    "UNSUPPORTED_HASH_ALGORITHM",
    `unsupported hash algorithm ${JSON.stringify(name)}: use sha256, sha384 or sha512`,
  );
}

/**
 * Reads a JSON body as sigstore's timestamp-authority accepts it:
 * `{artifactHash (base64), hashAlgorithm, nonce?, certificates?, tsaPolicyOID?}`. The nonce may be
 * a JSON integer (read exactly, see `parseJsonPreservingNonce`) or a decimal string.
 */
export function parseJsonRequest(body: unknown): TimestampRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "MALFORMED_REQUEST", "the request body must be a JSON object");
  }
  const fields = body as Record<string, unknown>;
  const request: TimestampRequest = {
    hashAlgorithm: requireHashAlgorithm(fields.hashAlgorithm),
    messageImprint: decodeArtifactHash(fields.artifactHash),
    certReq: decodeCertificatesFlag(fields.certificates),
  };
  if (fields.nonce !== undefined && fields.nonce !== null) request.nonce = decodeNonce(fields.nonce);
  if (fields.tsaPolicyOID !== undefined && fields.tsaPolicyOID !== "") {
    if (typeof fields.tsaPolicyOID !== "string") {
      throw new ApiError(400, "MALFORMED_REQUEST", "tsaPolicyOID must be a dotted object identifier");
    }
    request.policy = fields.tsaPolicyOID;
  }
  return request;
}

/** JSON.parse that keeps an integer `nonce` exact beyond 2^53 (Go clients send a bare big.Int). */
export function parseJsonPreservingNonce(text: string): unknown {
  return JSON.parse(text, (key, value, context?: { source?: string }) =>
    key === "nonce" && typeof value === "number" && NONCE_TEXT.test(context?.source ?? "")
      ? BigInt(context?.source ?? "")
      : value,
  );
}

/** RFC 3161 §2.4.1 TimeStampReq, as sent with `Content-Type: application/timestamp-query`. */
export function parseTimestampQuery(der: Buffer): TimestampRequest {
  const query = decodeTimeStampReq(der);
  if (query.version !== 1) {
    throw new ApiError(400, "MALFORMED_REQUEST", `unsupported TimeStampReq version ${query.version}`);
  }
  if (query.extensions !== undefined && query.extensions.length > 0) {
    throw new ApiError(400, "UNSUPPORTED_EXTENSION", "request extensions are not supported");
  }
  const algorithmOid = query.messageImprint.hashAlgorithm.algorithmId;
  const hashAlgorithm = hashAlgorithmByOid(algorithmOid);
  if (hashAlgorithm === undefined) {
    throw new ApiError(400, "UNSUPPORTED_HASH_ALGORITHM", `unsupported hash algorithm ${algorithmOid}`);
  }
  const request: TimestampRequest = {
    hashAlgorithm,
    messageImprint: Buffer.from(query.messageImprint.hashedMessage.valueBlock.valueHexView),
    certReq: query.certReq ?? false,
  };
  if (query.nonce !== undefined) request.nonce = query.nonce.toBigInt();
  if (query.reqPolicy !== undefined) request.policy = query.reqPolicy;
  return request;
}

function decodeTimeStampReq(der: Buffer): TimeStampReq {
  const parsed = asn1js.fromBER(new Uint8Array(der));
  if (parsed.offset !== der.length) {
    throw new ApiError(400, "MALFORMED_REQUEST", "the body is not one DER TimeStampReq");
  }
  try {
    return new TimeStampReq({ schema: parsed.result });
  } catch {
    throw new ApiError(400, "MALFORMED_REQUEST", "the body is not a TimeStampReq (RFC 3161 §2.4.1)");
  }
}

function decodeArtifactHash(value: unknown): Buffer {
  if (typeof value !== "string" || value.length === 0) {
    throw new ApiError(400, "MALFORMED_REQUEST", "artifactHash is required (base64 digest)");
  }
  if (!isPaddedBase64(value)) {
    throw new ApiError(400, "INVALID_BASE64", "artifactHash is not standard padded base64");
  }
  return Buffer.from(value, "base64");
}

function decodeCertificatesFlag(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") {
    throw new ApiError(400, "MALFORMED_REQUEST", "certificates must be a boolean");
  }
  return value;
}

function decodeNonce(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && NONCE_TEXT.test(value)) return BigInt(value);
  throw new ApiError(400, "INVALID_NONCE", "nonce must be an integer (JSON number or decimal string)");
}
