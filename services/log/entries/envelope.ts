/** DSSE envelopes (secure-systems-lab/dsse, envelope.md and protocol.md). */
import { z } from "zod";
import { decodeBase64 } from "./encoding.ts";
import type { VerificationKey } from "./keys.ts";
import { parseShape, reject } from "./rejection.ts";
import { verifyMessageSignature } from "./signatures.ts";
import { LIMITS } from "./types.ts";

export interface EnvelopeSignature {
  /** base64 as it appears in the envelope. */
  sig: string;
  bytes: Buffer;
}

export interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: EnvelopeSignature[];
}

const EnvelopeShape = z.strictObject({
  payload: z.string(),
  payloadType: z.string().min(1),
  signatures: z
    .array(z.strictObject({ sig: z.string().min(1), keyid: z.string().optional() }))
    .min(1)
    .max(LIMITS.signatures),
});

/** The envelope a dsse entry carries as a JSON string. */
export function parseEnvelope(text: string, field: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject("MALFORMED_ENTRY", `${field}: not JSON`);
  }
  const envelope = parseShape(EnvelopeShape, json, field);
  return {
    payloadType: envelope.payloadType,
    payload: decodeBase64(envelope.payload, `${field}.payload`),
    signatures: envelope.signatures.map(({ sig }, i) => ({
      sig,
      bytes: decodeBase64(sig, `${field}.signatures.${i}.sig`, LIMITS.signatureBytes),
    })),
  };
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (DSSE protocol.md). */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** The first of `keys` that verifies `signature` over the envelope's PAE. */
export function findVerifier(
  keys: readonly VerificationKey[],
  envelope: Pick<Envelope, "payloadType" | "payload">,
  signature: Buffer,
): VerificationKey | undefined {
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  return keys.find((key) => verifyMessageSignature(key, pae, signature));
}
