/** Shared by the entry kind tests: how sigstore-js builds proposals, and its check of stored bodies. */
import { createHash } from "node:crypto";
import type { TransparencyLogEntry } from "@sigstore/bundle";
import { HashAlgorithm } from "@sigstore/protobuf-specs";
import { toProposedEntry } from "@sigstore/sign/dist/witness/tlog/entry.js";
import { DSSESignatureContent } from "@sigstore/verify/dist/bundle/dsse.js";
import { MessageSignatureContent } from "@sigstore/verify/dist/bundle/message.js";
import { verifyTLogBody } from "@sigstore/verify/dist/tlog/index.js";
import { ApiError } from "../../../../services/common/errors.ts";
import { type ValidatedEntry, validateProposedEntry } from "../../../../services/log/entries/index.ts";
import type { TestKey } from "../../../support/pki.ts";

export const IN_TOTO = "application/vnd.in-toto+json";

export const b64 = (data: string | Buffer): string => Buffer.from(data).toString("base64");

export const digestOf = (data: string | Buffer, algorithm = "sha256"): Buffer =>
  createHash(algorithm).update(data).digest();

export const hexDigestOf = (data: string | Buffer, algorithm = "sha256"): string =>
  digestOf(data, algorithm).toString("hex");

/** DSSE PAE, written out again here so the tests do not lean on the code under test. */
export const pae = (type: string, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);

/** The status and code `validate` refuses `input` with. */
export function rejectionOf(
  input: unknown,
  validate: (input: unknown) => unknown = validateProposedEntry,
): { status: number; code: string } {
  try {
    validate(input);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error("expected the input to be refused");
}

/** What sigstore-js (@sigstore/sign witness/tlog/entry.ts) sends for a signed artifact. */
export function sigstoreMessage(artifact: Buffer, key: TestKey, pem: string) {
  const messageSignature = {
    messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: digestOf(artifact) },
    signature: key.sign(artifact),
  };
  return {
    proposed: toProposedEntry({ $case: "messageSignature", messageSignature }, pem),
    content: new MessageSignatureContent(messageSignature, artifact),
  };
}

/** What sigstore-js sends for an attestation: dsse, or intoto with legacyCompatibility. */
export function sigstoreEnvelope(
  payload: Buffer,
  key: TestKey,
  pem: string,
  entryType: "dsse" | "intoto",
  keyid = "",
) {
  const signatures = [{ sig: key.sign(pae(IN_TOTO, payload)), keyid }];
  const dsseEnvelope = { payload, payloadType: IN_TOTO, signatures };
  return {
    proposed: toProposedEntry({ $case: "dsseEnvelope", dsseEnvelope }, pem, entryType),
    content: new DSSESignatureContent(dsseEnvelope),
  };
}

/** sigstore-js's own check of a log entry's body against the bundle (@sigstore/verify tlog/index.ts). */
export function checkWithSigstore(
  entry: ValidatedEntry,
  content: DSSESignatureContent | MessageSignatureContent,
) {
  const tlogEntry = {
    kindVersion: { kind: entry.kind, version: entry.apiVersion },
    canonicalizedBody: entry.canonicalBody,
  } as unknown as TransparencyLogEntry;
  verifyTLogBody(tlogEntry, content);
}

export function statementAbout(artifact: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "artifact", digest: { sha256: hexDigestOf(artifact) } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {},
    }),
  );
}
