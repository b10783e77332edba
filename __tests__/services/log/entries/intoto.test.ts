import { beforeAll, describe, expect, it } from "vitest";
import { validateProposedEntry } from "../../../../services/log/entries/index.ts";
import { createCa, generateKey, issueLeaf, type TestCertificate } from "../../../support/pki.ts";
import * as F from "./fixtures.ts";
import {
  b64,
  checkWithSigstore,
  hexDigestOf,
  rejectionOf,
  sigstoreEnvelope,
  statementAbout,
} from "./support.ts";

interface IntotoSignature {
  sig: string;
  publicKey: string;
  keyid?: string;
}

function intotoEntry(changes: {
  payload?: string;
  signatures?: IntotoSignature[];
  hash?: object;
  payloadHash?: object;
}) {
  return {
    apiVersion: "0.0.2",
    kind: "intoto",
    spec: {
      content: {
        envelope: {
          payload: changes.payload ?? F.FIXED_INTOTO_PAYLOAD,
          payloadType: F.FIXED_PAYLOAD_TYPE,
          signatures: changes.signatures ?? [
            { sig: F.FIXED_INTOTO_SIGNATURE, publicKey: F.FIXED_KEY_CONTENT },
          ],
        },
        hash: changes.hash ?? { algorithm: "sha256", value: F.FIXED_INTOTO_HASH },
        payloadHash: changes.payloadHash ?? { algorithm: "sha256", value: F.FIXED_PAYLOAD_SHA256 },
      },
    },
  };
}

let aliceCert: TestCertificate;

beforeAll(async () => {
  aliceCert = await issueLeaf(await createCa(), { email: "alice@example.com" });
});

describe("intoto 0.0.2", () => {
  it("canonicalizes the fixed vector byte for byte: the envelope without its payload, both hashes", () => {
    const entry = validateProposedEntry(intotoEntry({}));
    expect(entry.canonicalBody.toString()).toBe(
      `{"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{"envelope":{"payloadType":"${F.FIXED_PAYLOAD_TYPE}","signatures":[{"publicKey":"${F.FIXED_KEY_CONTENT}","sig":"${F.FIXED_INTOTO_SIGNATURE}"}]},"hash":{"algorithm":"sha256","value":"${F.FIXED_INTOTO_HASH}"},"payloadHash":{"algorithm":"sha256","value":"${F.FIXED_PAYLOAD_SHA256}"}}}}`,
    );
    expect(entry.searchKeys).toEqual([
      `hash:sha256:${F.FIXED_PAYLOAD_SHA256}`,
      `hash:sha256:${F.FIXED_INTOTO_HASH}`,
      `key:sha256:${F.FIXED_KEY_SPKI_SHA256}`,
      `hash:sha256:${F.FIXED_ARTIFACT_SHA256}`,
    ]);
  });

  it("accepts what the sigstore CLI attest sends, and sigstore-js accepts the stored body", () => {
    const artifact = Buffer.from("attested artifact");
    const { proposed, content } = sigstoreEnvelope(
      statementAbout(artifact),
      aliceCert.key,
      aliceCert.pem,
      "intoto",
    );
    const entry = validateProposedEntry(proposed);
    checkWithSigstore(entry, content);
    expect(entry.searchKeys).toEqual(
      expect.arrayContaining(["email:alice@example.com", `hash:sha256:${hexDigestOf(artifact)}`]),
    );
    const other = sigstoreEnvelope(Buffer.from("other"), aliceCert.key, aliceCert.pem, "intoto");
    expect(() => checkWithSigstore(entry, other.content)).toThrow(/mismatch/);
  });

  it("keeps a key ID and the public key as sent", () => {
    const { proposed } = sigstoreEnvelope(Buffer.from("{}"), aliceCert.key, aliceCert.pem, "intoto", "key-1");
    const body = JSON.parse(validateProposedEntry(proposed).canonicalBody.toString());
    expect(body.spec.content.envelope.signatures[0]).toMatchObject({
      keyid: "key-1",
      publicKey: b64(aliceCert.pem),
    });
  });

  it("computes payloadHash itself, whatever the client sent (Rekor v0.0.2 Unmarshal)", () => {
    const entry = validateProposedEntry(
      intotoEntry({ payloadHash: { algorithm: "sha256", value: "0".repeat(64) } }),
    );
    expect(JSON.parse(entry.canonicalBody.toString()).spec.content.payloadHash.value).toBe(
      F.FIXED_PAYLOAD_SHA256,
    );
  });

  const fixedSignature = { sig: F.FIXED_INTOTO_SIGNATURE, publicKey: F.FIXED_KEY_CONTENT };
  const { hash: _hash, ...withoutHash } = intotoEntry({}).spec.content;

  it.each([
    [
      "a signature by another key",
      intotoEntry({ signatures: [{ ...fixedSignature, publicKey: b64(generateKey().publicKeyPem) }] }),
      "INVALID_SIGNATURE",
    ],
    ["a payload the signature is not over", intotoEntry({ payload: b64(b64("{}")) }), "INVALID_SIGNATURE"],
    [
      "a signature encoded only once",
      intotoEntry({ signatures: [{ ...fixedSignature, sig: F.FIXED_DSSE_SIGNATURE }] }),
      "BAD_ENCODING",
    ],
    ["a payload encoded only once", intotoEntry({ payload: F.FIXED_PAYLOAD_BASE64 }), "BAD_ENCODING"],
    [
      "an envelope hash other than sha256",
      intotoEntry({ hash: { algorithm: "sha512", value: F.FIXED_INTOTO_HASH } }),
      "BAD_HASH",
    ],
    [
      "an envelope hash of the wrong length",
      intotoEntry({ hash: { algorithm: "sha256", value: "abcd" } }),
      "BAD_HASH",
    ],
    ["a missing envelope hash", { ...intotoEntry({}), spec: { content: withoutHash } }, "MALFORMED_ENTRY"],
    ["no signatures", intotoEntry({ signatures: [] }), "MALFORMED_ENTRY"],
    [
      "a signature without its key",
      intotoEntry({ signatures: [{ sig: F.FIXED_INTOTO_SIGNATURE } as IntotoSignature] }),
      "MALFORMED_ENTRY",
    ],
    ["a version other than 0.0.2", { ...intotoEntry({}), apiVersion: "0.0.1" }, "UNSUPPORTED_VERSION"],
  ])("refuses %s", (_, proposed, code) => {
    expect(rejectionOf(proposed)).toEqual({ status: 400, code });
  });
});
