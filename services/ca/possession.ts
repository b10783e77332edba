import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { CertificationRequest } from "pkijs";
import { isPaddedBase64 } from "../common/base64.ts";
import { ApiError } from "../common/errors.ts";
import { acceptClientKey, type ClientKey, type ProofHash } from "./client-key.ts";

/** fulcio.proto PublicKeyRequest as JSON: the key in PEM and a base64 signature over the challenge. */
export interface PublicKeyRequest {
  publicKey: { algorithm?: string | number; content: string };
  proofOfPossession: string;
}

/**
 * fulcio.proto PublicKeyAlgorithm. Fulcio ignores it and infers the algorithm from the key; the
 * legacy API upper-cases it, so any case is taken. Numbers are the enum's JSON alternative form.
 */
const publicKeyAlgorithms = ["PUBLIC_KEY_ALGORITHM_UNSPECIFIED", "RSA_PSS", "ECDSA", "ED25519"];

// Signature algorithms a CSR may be signed with, as Go's x509 and Fulcio's
// getHashFuncForSignatureAlgorithm know them (RFC 5758 §3.2, RFC 8017 A.2.4, RFC 8410 §3).
const csrSignatureAlgorithms: Readonly<Record<string, { family: ClientKey["family"]; hash: ProofHash }>> = {
  "1.2.840.10045.4.3.2": { family: "ecdsa", hash: "sha256" },
  "1.2.840.10045.4.3.3": { family: "ecdsa", hash: "sha384" },
  "1.2.840.10045.4.3.4": { family: "ecdsa", hash: "sha512" },
  "1.2.840.113549.1.1.11": { family: "rsa", hash: "sha256" },
  "1.2.840.113549.1.1.12": { family: "rsa", hash: "sha384" },
  "1.2.840.113549.1.1.13": { family: "rsa", hash: "sha512" },
  "1.3.101.112": { family: "ed25519", hash: null },
};

/**
 * Checks a public key request as Fulcio's CreateSigningCertificate does: an accepted key, and a
 * proof of possession that verifies over utf8(challenge) with the digest the key implies
 * (sigstore-js signs with SHA-256 from its P-256 key). Returns the key's DER SubjectPublicKeyInfo.
 */
export function verifyPublicKeyRequest(request: PublicKeyRequest, challenge: string): Buffer {
  checkAlgorithmField(request.publicKey.algorithm);
  const { key: publicKey, spki } = parsePublicKey(request.publicKey.content);
  const key = acceptClientKey(publicKey, spki);
  const proof = decodeBase64(request.proofOfPossession);
  if (!verifies(key, key.hash, Buffer.from(challenge, "utf8"), proof)) {
    throw invalidProof("the proof of possession is not a signature over the token's identity by this key");
  }
  return key.spki;
}

/**
 * A PKCS#10 request (RFC 2986) in PEM: its self-signature is the proof of possession, as in
 * Fulcio, and only its key is used. Returns the key's DER SubjectPublicKeyInfo.
 */
export function verifyCsr(pem: string): Buffer {
  const request = parseCsr(pem);
  const key = acceptClientKey(csrPublicKey(request));
  const algorithm = csrSignatureAlgorithms[request.signatureAlgorithm.algorithmId];
  if (!algorithm) {
    throw new ApiError(
      400,
      "UNSUPPORTED_KEY",
      `CSR signature algorithm ${request.signatureAlgorithm.algorithmId} is not accepted`,
    );
  }
  const signature = Buffer.from(request.signatureValue.valueBlock.valueHexView);
  const signed = Buffer.from(request.tbsView);
  if (algorithm.family !== key.family || !verifies(key, algorithm.hash, signed, signature)) {
    throw invalidProof("the certificate signing request's signature does not verify with its key");
  }
  if (algorithm.hash !== key.hash) {
    throw new ApiError(
      400,
      "UNSUPPORTED_KEY",
      `this key must sign its CSR with ${key.hash ?? "pure Ed25519"}, not ${algorithm.hash ?? "pure Ed25519"}`,
    );
  }
  return key.spki;
}

function checkAlgorithmField(algorithm: string | number | undefined): void {
  if (algorithm === undefined) return;
  const known =
    typeof algorithm === "number"
      ? Number.isInteger(algorithm) && algorithm >= 0 && algorithm < publicKeyAlgorithms.length
      : publicKeyAlgorithms.includes(algorithm.toUpperCase());
  if (!known) {
    throw malformed(
      `publicKey.algorithm ${JSON.stringify(algorithm)} is not one of ${publicKeyAlgorithms.join(", ")}`,
    );
  }
}

/** cryptoutils.UnmarshalPEMToPublicKey: the first PEM block, a PKIX or a PKCS#1 RSA public key. */
function parsePublicKey(content: string): { key: KeyObject; spki?: Buffer } {
  const block = firstPemBlock(content);
  const type =
    block?.label === "PUBLIC KEY" ? "spki" : block?.label === "RSA PUBLIC KEY" ? "pkcs1" : undefined;
  if (!block || !type) throw malformed("publicKey.content is not a PEM PUBLIC KEY");
  try {
    const key = createPublicKey({ key: block.der, format: "der", type });
    return type === "spki" ? { key, spki: block.der } : { key };
  } catch {
    throw malformed("publicKey.content does not hold a readable public key");
  }
}

function csrPublicKey(request: CertificationRequest): KeyObject {
  try {
    const spki = Buffer.from(request.subjectPublicKeyInfo.toSchema().toBER());
    return createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch {
    throw malformed("certificateSigningRequest does not hold a readable public key");
  }
}

/** cryptoutils.ParseCSR: the first PEM block, labelled CERTIFICATE REQUEST (or the older NEW CERTIFICATE REQUEST). */
function parseCsr(pem: string): CertificationRequest {
  const block = firstPemBlock(pem);
  if (!block || !["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"].includes(block.label)) {
    throw malformed("certificateSigningRequest is not a PEM CERTIFICATE REQUEST");
  }
  try {
    return CertificationRequest.fromBER(new Uint8Array(block.der));
  } catch {
    throw malformed("certificateSigningRequest does not hold a PKCS#10 certification request");
  }
}

function firstPemBlock(text: string): { label: string; der: Buffer } | undefined {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\s]*?)-----END \1-----/.exec(text);
  if (!match) return undefined;
  const body = (match[2] ?? "").replace(/\s/g, "");
  if (body === "" || !isPaddedBase64(body)) return undefined;
  return { label: match[1] ?? "", der: Buffer.from(body, "base64") };
}

/** protobuf JSON bytes: standard or URL-safe base64, padded or not. */
function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw malformed("proofOfPossession is not base64");
  const bytes = Buffer.from(text, "base64");
  if (bytes.length === 0) throw invalidProof("the proof of possession is empty");
  return bytes;
}

function verifies(key: ClientKey, hash: ProofHash, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(hash, data, key.key, signature);
  } catch {
    return false;
  }
}

function invalidProof(message: string): ApiError {
  return new ApiError(400, "INVALID_PROOF_OF_POSSESSION", message);
}

function malformed(message: string): ApiError {
  return new ApiError(400, "MALFORMED_REQUEST", message);
}
