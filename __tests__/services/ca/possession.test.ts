import { execFileSync } from "node:child_process";
import { createPublicKey, ECDH, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EphemeralSigner } from "@sigstore/sign/dist/signer/fulcio/ephemeral.js";
import * as asn1js from "asn1js";
import { AlgorithmIdentifier, AttributeTypeAndValue, CertificationRequest, PublicKeyInfo } from "pkijs";
import { describe, expect, it } from "vitest";
import { type PublicKeyRequest, verifyCsr, verifyPublicKeyRequest } from "../../../services/ca/possession.ts";
import { ApiError } from "../../../services/common/errors.ts";
import { generateKey, type TestKey, type TestKeyType, toPem } from "../../support/pki.ts";

const challenge = "alice@example.com";

function request(key: TestKey, overrides: Partial<PublicKeyRequest["publicKey"]> & { proof?: string } = {}) {
  const { proof, ...publicKey } = overrides;
  return {
    publicKey: { algorithm: "ECDSA", content: key.publicKeyPem, ...publicKey },
    proofOfPossession: proof ?? key.sign(Buffer.from(challenge), hashOf(key.type)).toString("base64"),
  };
}

/** The digest Fulcio's default verifier uses for each key (sigstore signature.LoadDefaultVerifier). */
function hashOf(type: TestKeyType): "sha256" | "sha384" | "sha512" {
  return type === "ecdsa-p384" ? "sha384" : type === "ecdsa-p521" ? "sha512" : "sha256";
}

function refusal(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected a refusal");
}

function nodeKey(type: "rsa" | "ec" | "ed448", options: object = {}): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync(type as "rsa", options as { modulusLength: number });
  return {
    type: "rsa-2048",
    privateKey,
    publicKey,
    spki: publicKey.export({ type: "spki", format: "der" }),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (data, hash = "sha256") => sign(type === "ed448" ? null : hash, data, privateKey),
  };
}

describe("proof of possession with a public key", () => {
  it.each<TestKeyType>(["ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "ed25519"])(
    "accepts a %s key whose proof verifies over the challenge",
    (type) => {
      const key = generateKey(type);
      expect(verifyPublicKeyRequest(request(key), challenge)).toEqual(key.spki);
    },
  );

  it("accepts an RSA-3072 key and a PKCS#1 RSA PUBLIC KEY PEM", () => {
    const key = nodeKey("rsa", { modulusLength: 3072 });
    const pkcs1 = key.publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    expect(verifyPublicKeyRequest(request(key, { content: pkcs1, algorithm: "RSA_PSS" }), challenge)).toEqual(
      key.spki,
    );
  });

  it("accepts the request sigstore-js's ephemeral signer makes", async () => {
    const signer = new EphemeralSigner();
    const { signature, key } = await signer.sign(Buffer.from(challenge));
    if (key.$case !== "publicKey") throw new Error("sigstore-js signer without a public key");
    const spki = verifyPublicKeyRequest(
      {
        publicKey: { algorithm: "ECDSA", content: key.publicKey },
        proofOfPossession: signature.toString("base64"),
      },
      challenge,
    );
    expect(spki).toEqual(createPublicKey(key.publicKey).export({ type: "spki", format: "der" }));
  });

  it("certifies a key sent as a compressed point in the form the key exports to", () => {
    const key = generateKey("ecdsa-p256");
    const point = ECDH.convertKey(key.spki.subarray(-65), "prime256v1", undefined, undefined, "compressed");
    const compressed = Buffer.concat([
      Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"),
      point as Buffer,
    ]);
    const spki = verifyPublicKeyRequest(
      request(key, { content: toPem("PUBLIC KEY", compressed) }),
      challenge,
    );
    expect(spki).toEqual(
      createPublicKey({ key: compressed, format: "der", type: "spki" }).export({
        type: "spki",
        format: "der",
      }),
    );
  });

  it("takes Fulcio's algorithm names in any case, enum numbers, or none, and ignores which", () => {
    const key = generateKey();
    for (const algorithm of ["ecdsa", "ED25519", "public_key_algorithm_unspecified", 0, 3, undefined]) {
      expect(verifyPublicKeyRequest(request(key, { algorithm }), challenge)).toEqual(key.spki);
    }
    for (const algorithm of ["DSA", "", 4, 1.5]) {
      expect(refusal(() => verifyPublicKeyRequest(request(key, { algorithm }), challenge)).code).toBe(
        "MALFORMED_REQUEST",
      );
    }
  });

  it("takes the proof in URL-safe base64 too", () => {
    const key = generateKey();
    const proof = key.sign(Buffer.from(challenge)).toString("base64url");
    expect(verifyPublicKeyRequest(request(key, { proof }), challenge)).toEqual(key.spki);
  });

  it.each([
    ["a proof over another challenge", (key: TestKey) => request(key), "bob@example.com"],
    [
      "a proof by another key",
      (key: TestKey) =>
        request(key, { proof: generateKey().sign(Buffer.from(challenge)).toString("base64") }),
      challenge,
    ],
    [
      "a P-384 proof hashed with SHA-256 (Fulcio's verifier takes SHA-384 for P-384)",
      () => {
        const key = generateKey("ecdsa-p384");
        return request(key, { proof: key.sign(Buffer.from(challenge), "sha256").toString("base64") });
      },
      challenge,
    ],
    ["a truncated signature", (key: TestKey) => request(key, { proof: "MEUCIQ" }), challenge],
    ["an empty proof", (key: TestKey) => request(key, { proof: "" }), challenge],
  ])("refuses %s as INVALID_PROOF_OF_POSSESSION", (_name, build, signedOver) => {
    const error = refusal(() => verifyPublicKeyRequest(build(generateKey()), signedOver));
    expect(error).toMatchObject({ status: 400, code: "INVALID_PROOF_OF_POSSESSION" });
  });

  it.each([
    ["RSA-1024", () => nodeKey("rsa", { modulusLength: 1024 }), /1024 bits/],
    ["RSA-2056", () => nodeKey("rsa", { modulusLength: 2056 }), /2056 bits/],
    ["secp256k1", () => nodeKey("ec", { namedCurve: "secp256k1" }), /secp256k1/],
    ["Ed448", () => nodeKey("ed448"), /ed448/],
  ])("refuses a %s key as UNSUPPORTED_KEY", (_name, build, message) => {
    const key = build();
    const error = refusal(() => verifyPublicKeyRequest(request(key), challenge));
    expect(error).toMatchObject({ status: 400, code: "UNSUPPORTED_KEY" });
    expect(error.message).toMatch(message);
  });

  it.each([
    ["text that is not PEM", "not a key"],
    ["a PEM body that is not base64", "-----BEGIN PUBLIC KEY-----\nnot*base64\n-----END PUBLIC KEY-----\n"],
    ["a PEM body that is not a key", toPem("PUBLIC KEY", Buffer.from("garbage"))],
    ["a private key", generateKey().privateKey.export({ type: "pkcs8", format: "pem" }).toString()],
    ["a certificate", toPem("CERTIFICATE", generateKey().spki)],
    ["an empty string", ""],
  ])("refuses %s as publicKey.content with MALFORMED_REQUEST", (_name, content) => {
    const error = refusal(() => verifyPublicKeyRequest(request(generateKey(), { content }), challenge));
    expect(error).toMatchObject({ status: 400, code: "MALFORMED_REQUEST" });
  });

  it("refuses a proof that is not base64 with MALFORMED_REQUEST", () => {
    const error = refusal(() => verifyPublicKeyRequest(request(generateKey(), { proof: "%%%" }), challenge));
    expect(error.code).toBe("MALFORMED_REQUEST");
  });
});

// --- certificate signing requests ------------------------------------------------------------------

const csrSignatureOids = {
  "ecdsa-sha256": "1.2.840.10045.4.3.2",
  "ecdsa-sha384": "1.2.840.10045.4.3.3",
  "ecdsa-sha512": "1.2.840.10045.4.3.4",
  "rsa-sha256": "1.2.840.113549.1.1.11",
  "rsa-pss": "1.2.840.113549.1.1.10",
  ed25519: "1.3.101.112",
} as const;

interface CsrOptions {
  algorithm: keyof typeof csrSignatureOids;
  /** Signs with this key instead of the CSR's own. */
  signingKey?: KeyObject;
  label?: string;
}

/** A PKCS#10 request (RFC 2986) for `key`, signed by node so every algorithm can be built. */
function csr(key: TestKey, options: CsrOptions): string {
  const request = new CertificationRequest();
  request.subject.typesAndValues.push(
    new AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: "ignored" }) }),
  );
  request.subjectPublicKeyInfo = PublicKeyInfo.fromBER(new Uint8Array(key.spki));
  request.signatureAlgorithm = new AlgorithmIdentifier({ algorithmId: csrSignatureOids[options.algorithm] });
  // Signed by hand (encodeTBS is protected) so a test can name any algorithm and sign with any key.
  const info = Buffer.from((request as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER());
  request.tbsView = new Uint8Array(info);
  const hash = /sha(256|384|512)/.exec(options.algorithm)?.[0] ?? null;
  const signature = sign(hash, info, options.signingKey ?? key.privateKey);
  request.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(signature) });
  return toPem(options.label ?? "CERTIFICATE REQUEST", Buffer.from(request.toSchema().toBER()));
}

describe("proof of possession with a certificate signing request", () => {
  it.each<[TestKeyType, CsrOptions["algorithm"]]>([
    ["ecdsa-p256", "ecdsa-sha256"],
    ["ecdsa-p384", "ecdsa-sha384"],
    ["ecdsa-p521", "ecdsa-sha512"],
    ["rsa-2048", "rsa-sha256"],
    ["ed25519", "ed25519"],
  ])("accepts a %s key self-signed with %s and returns its key", (type, algorithm) => {
    const key = generateKey(type);
    expect(verifyCsr(csr(key, { algorithm }))).toEqual(key.spki);
  });

  it("accepts the older NEW CERTIFICATE REQUEST label", () => {
    const key = generateKey();
    expect(verifyCsr(csr(key, { algorithm: "ecdsa-sha256", label: "NEW CERTIFICATE REQUEST" }))).toEqual(
      key.spki,
    );
  });

  it("accepts a CSR made by OpenSSL", () => {
    const key = generateKey();
    const dir = mkdtempSync(join(tmpdir(), "signet-csr-"));
    try {
      const keyPath = join(dir, "key.pem");
      writeFileSync(keyPath, key.privateKey.export({ type: "pkcs8", format: "pem" }));
      const pem = execFileSync(
        "openssl",
        ["req", "-new", "-key", keyPath, "-subj", "/CN=anyone", "-sha256"],
        {
          encoding: "utf8",
        },
      );
      expect(verifyCsr(pem)).toEqual(key.spki);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a CSR signed by another key as INVALID_PROOF_OF_POSSESSION", () => {
    const pem = csr(generateKey(), { algorithm: "ecdsa-sha256", signingKey: generateKey().privateKey });
    expect(refusal(() => verifyCsr(pem))).toMatchObject({ status: 400, code: "INVALID_PROOF_OF_POSSESSION" });
  });

  it("refuses a CSR whose signature algorithm names another key type as INVALID_PROOF_OF_POSSESSION", () => {
    const key = generateKey("rsa-2048");
    const pem = csr(key, { algorithm: "ecdsa-sha256", signingKey: generateKey().privateKey });
    expect(refusal(() => verifyCsr(pem)).code).toBe("INVALID_PROOF_OF_POSSESSION");
  });

  it("refuses a tampered CSR as INVALID_PROOF_OF_POSSESSION", () => {
    const der = Buffer.from(
      csr(generateKey(), { algorithm: "ecdsa-sha256" }).replace(/-----[A-Z ]+-----|\s/g, ""),
      "base64",
    );
    const at = der.indexOf(Buffer.from("ignored"));
    der[at] = "I".charCodeAt(0);
    expect(refusal(() => verifyCsr(toPem("CERTIFICATE REQUEST", der))).code).toBe(
      "INVALID_PROOF_OF_POSSESSION",
    );
  });

  it("refuses digests Fulcio does not permit for the key, and RSA-PSS, as UNSUPPORTED_KEY", () => {
    const p256 = generateKey("ecdsa-p256");
    expect(refusal(() => verifyCsr(csr(p256, { algorithm: "ecdsa-sha384" }))).code).toBe("UNSUPPORTED_KEY");
    const rsa = generateKey("rsa-2048");
    const pss = csr(rsa, { algorithm: "rsa-pss" });
    expect(refusal(() => verifyCsr(pss))).toMatchObject({
      code: "UNSUPPORTED_KEY",
      message: /1\.2\.840\.113549\.1\.1\.10/,
    });
  });

  it("refuses a CSR for an RSA-1024 key as UNSUPPORTED_KEY", () => {
    const key = nodeKey("rsa", { modulusLength: 1024 });
    expect(refusal(() => verifyCsr(csr(key, { algorithm: "rsa-sha256" }))).code).toBe("UNSUPPORTED_KEY");
  });

  it.each([
    ["text that is not PEM", "hello"],
    ["a certificate instead of a request", toPem("CERTIFICATE", Buffer.from("x"))],
    ["a request PEM holding garbage", toPem("CERTIFICATE REQUEST", Buffer.from("garbage"))],
  ])("refuses %s with MALFORMED_REQUEST", (_name, pem) => {
    expect(refusal(() => verifyCsr(pem))).toMatchObject({ status: 400, code: "MALFORMED_REQUEST" });
  });
});
