import { beforeAll, describe, expect, it } from "vitest";
import { validateProposedEntry } from "../../../../services/log/entries/index.ts";
import {
  createCa,
  generateKey,
  issueLeaf,
  type TestCertificate,
  type TestKey,
} from "../../../support/pki.ts";
import * as F from "./fixtures.ts";
import {
  b64,
  checkWithSigstore,
  hexDigestOf,
  IN_TOTO,
  pae,
  rejectionOf,
  sigstoreEnvelope,
  statementAbout,
} from "./support.ts";

function dsseEntry(envelope: string, verifiers: string[]) {
  return { apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope, verifiers } } };
}

function envelopeSignedBy(keys: TestKey[], payload = Buffer.from("{}"), payloadType = IN_TOTO): string {
  const signatures = keys.map((key) => ({ sig: b64(key.sign(pae(payloadType, payload))) }));
  return JSON.stringify({ payload: b64(payload), payloadType, signatures });
}

let aliceCert: TestCertificate;

beforeAll(async () => {
  aliceCert = await issueLeaf(await createCa(), { email: "alice@example.com" });
});

describe("dsse 0.0.1", () => {
  it("canonicalizes the fixed vector byte for byte: hashes and signatures, no envelope", () => {
    const entry = validateProposedEntry(dsseEntry(F.FIXED_ENVELOPE, [F.FIXED_KEY_CONTENT]));
    expect(entry.canonicalBody.toString()).toBe(
      `{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"${F.FIXED_ENVELOPE_SHA256}"},"payloadHash":{"algorithm":"sha256","value":"${F.FIXED_PAYLOAD_SHA256}"},"signatures":[{"signature":"${F.FIXED_DSSE_SIGNATURE}","verifier":"${F.FIXED_KEY_CONTENT}"}]}}`,
    );
    expect(entry.searchKeys).toEqual([
      `hash:sha256:${F.FIXED_PAYLOAD_SHA256}`,
      `hash:sha256:${F.FIXED_ENVELOPE_SHA256}`,
      `key:sha256:${F.FIXED_KEY_SPKI_SHA256}`,
      `hash:sha256:${F.FIXED_ARTIFACT_SHA256}`,
    ]);
  });

  it("accepts what sigstore.attest sends, and sigstore-js accepts the stored body", () => {
    const artifact = Buffer.from("attested artifact");
    const { proposed, content } = sigstoreEnvelope(
      statementAbout(artifact),
      aliceCert.key,
      aliceCert.pem,
      "dsse",
    );
    const entry = validateProposedEntry(proposed);
    checkWithSigstore(entry, content);
    expect(entry.searchKeys).toEqual(
      expect.arrayContaining([
        `key:sha256:${hexDigestOf(aliceCert.key.spki)}`,
        "email:alice@example.com",
        `hash:sha256:${hexDigestOf(artifact)}`,
      ]),
    );
    const other = sigstoreEnvelope(Buffer.from("other"), aliceCert.key, aliceCert.pem, "dsse");
    expect(() => checkWithSigstore(entry, other.content)).toThrow(/mismatch/);
  });

  it("hashes the envelope exactly as sent, whitespace included", () => {
    const envelope = ` ${F.FIXED_ENVELOPE}\n`;
    const body = JSON.parse(
      validateProposedEntry(dsseEntry(envelope, [F.FIXED_KEY_CONTENT])).canonicalBody.toString(),
    );
    expect(body.spec.envelopeHash.value).toBe(hexDigestOf(envelope));
  });

  it("pairs each signature with the verifier that verifies it and sorts them by signature, as Rekor does", () => {
    const keys = [generateKey(), generateKey("ecdsa-p384"), generateKey("rsa-2048"), generateKey("ed25519")];
    const envelope = envelopeSignedBy(keys);
    const verifiers = keys.map((k) => b64(k.publicKeyPem)).reverse();
    const body = JSON.parse(validateProposedEntry(dsseEntry(envelope, verifiers)).canonicalBody.toString());
    const signatures = JSON.parse(envelope).signatures.map((s: { sig: string }) => s.sig);
    const expected = keys.map((k, i) => ({ signature: signatures[i], verifier: b64(k.publicKeyPem) }));
    expected.sort((a, b) => (a.signature < b.signature ? -1 : 1));
    expect(body.spec.signatures).toEqual(expected);
  });

  it("records a signature repeated in the envelope once", () => {
    const key = generateKey();
    const signature = b64(key.sign(pae(IN_TOTO, Buffer.from("{}"))));
    const envelope = JSON.stringify({
      payload: b64("{}"),
      payloadType: IN_TOTO,
      signatures: [{ sig: signature }, { sig: signature }],
    });
    const body = JSON.parse(
      validateProposedEntry(dsseEntry(envelope, [b64(key.publicKeyPem)])).canonicalBody.toString(),
    );
    expect(body.spec.signatures).toHaveLength(1);
  });

  it("indexes no statement subjects when the payload is not an in-toto statement", () => {
    const key = generateKey();
    const payload = Buffer.from(
      JSON.stringify({ subject: [{ digest: { sha256: F.FIXED_ARTIFACT_SHA256 } }] }),
    );
    const entry = validateProposedEntry(
      dsseEntry(envelopeSignedBy([key], payload, "text/plain"), [b64(key.publicKeyPem)]),
    );
    expect(entry.searchKeys).not.toContain(`hash:sha256:${F.FIXED_ARTIFACT_SHA256}`);
  });

  const alice = generateKey();
  const bob = generateKey();
  const twoSigners = envelopeSignedBy([alice, bob]);
  const parsed = JSON.parse(F.FIXED_ENVELOPE);
  const fixedEnvelope = (changes: object) => JSON.stringify({ ...parsed, ...changes });

  it.each([
    [
      "a signature no verifier verifies",
      dsseEntry(twoSigners, [b64(alice.publicKeyPem)]),
      "INVALID_SIGNATURE",
    ],
    [
      "a verifier that signed another payload",
      dsseEntry(fixedEnvelope({ payload: b64("x") }), [F.FIXED_KEY_CONTENT]),
      "INVALID_SIGNATURE",
    ],
    ["an envelope that is not JSON", dsseEntry("{not json", [F.FIXED_KEY_CONTENT]), "MALFORMED_ENTRY"],
    [
      "an envelope without signatures",
      dsseEntry(fixedEnvelope({ signatures: [] }), [F.FIXED_KEY_CONTENT]),
      "MALFORMED_ENTRY",
    ],
    [
      "an envelope with unknown fields",
      dsseEntry(fixedEnvelope({ extra: 1 }), [F.FIXED_KEY_CONTENT]),
      "MALFORMED_ENTRY",
    ],
    [
      "a payload that is not base64",
      dsseEntry(fixedEnvelope({ payload: "%%%" }), [F.FIXED_KEY_CONTENT]),
      "BAD_ENCODING",
    ],
    ["no verifiers", dsseEntry(F.FIXED_ENVELOPE, []), "MALFORMED_ENTRY"],
    [
      "more than 16 verifiers",
      dsseEntry(F.FIXED_ENVELOPE, Array(17).fill(F.FIXED_KEY_CONTENT)),
      "MALFORMED_ENTRY",
    ],
    ["a verifier that is not a key", dsseEntry(F.FIXED_ENVELOPE, [b64("nope")]), "BAD_ENCODING"],
    [
      "server-computed fields sent by the client",
      {
        ...dsseEntry(F.FIXED_ENVELOPE, [F.FIXED_KEY_CONTENT]),
        spec: { signatures: [], proposedContent: {} },
      },
      "MALFORMED_ENTRY",
    ],
    [
      "a version other than 0.0.1",
      { ...dsseEntry(F.FIXED_ENVELOPE, [F.FIXED_KEY_CONTENT]), apiVersion: "0.0.2" },
      "UNSUPPORTED_VERSION",
    ],
  ])("refuses %s", (_, proposed, code) => {
    expect(rejectionOf(proposed)).toEqual({ status: 400, code });
  });
});
