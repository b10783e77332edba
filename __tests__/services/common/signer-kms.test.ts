import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import type { protos } from "@google-cloud/kms";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/common/config.ts";
import { crc32c } from "../../../services/common/signer/crc32c.ts";
import { type KmsClientLike, loadSigner } from "../../../services/common/signer/index.ts";

type PublicKey = protos.google.cloud.kms.v1.IPublicKey;
type SignRequest = protos.google.cloud.kms.v1.IAsymmetricSignRequest;
type SignResponse = protos.google.cloud.kms.v1.IAsymmetricSignResponse;

const keyVersion =
  "projects/signet-staging/locations/global/keyRings/signet/cryptoKeys/log/cryptoKeyVersions/1";

interface FakeOptions {
  curve: "prime256v1" | "secp384r1";
  algorithm: PublicKey["algorithm"];
  publicKey?: (response: PublicKey) => PublicKey;
  signResponse?: (response: SignResponse) => SignResponse;
}

/**
 * Cloud KMS at the client-library boundary, backed by a real local key. KMS signs a digest; node
 * cannot sign a bare digest, so the fake signs the message the test announced whose hash it is,
 * which yields the same ECDSA signature over that digest.
 */
class FakeKms implements KmsClientLike {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyRequests: unknown[] = [];
  readonly signRequests: SignRequest[] = [];
  readonly #options: FakeOptions;
  readonly #messages = new Map<string, Buffer>();

  constructor(options: FakeOptions) {
    this.#options = options;
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync("ec", {
      namedCurve: options.curve,
    }));
  }

  get hash(): "sha256" | "sha384" {
    return this.#options.curve === "prime256v1" ? "sha256" : "sha384";
  }

  willSign(message: Buffer): void {
    this.#messages.set(createHash(this.hash).update(message).digest("hex"), message);
  }

  async getPublicKey(request: unknown): Promise<[PublicKey]> {
    this.publicKeyRequests.push(request);
    const pem = this.publicKey.export({ type: "spki", format: "pem" }) as string;
    const response: PublicKey = {
      name: keyVersion,
      pem,
      pemCrc32c: { value: String(crc32c(pem)) },
      algorithm: this.#options.algorithm,
    };
    return [this.#options.publicKey?.(response) ?? response];
  }

  async asymmetricSign(request: SignRequest): Promise<[SignResponse]> {
    this.signRequests.push(request);
    const digest = Buffer.from(request.digest?.[this.hash] as Uint8Array);
    const message = this.#messages.get(digest.toString("hex"));
    if (!message) throw new Error("fake KMS: digest of no announced message");
    const signature = sign(this.hash, message, this.privateKey);
    const response: SignResponse = {
      name: keyVersion,
      signature,
      signatureCrc32c: { value: crc32c(signature) },
      verifiedDigestCrc32c: Number(request.digestCrc32c?.value) === crc32c(digest),
    };
    return [this.#options.signResponse?.(response) ?? response];
  }
}

const p256 = { curve: "prime256v1", algorithm: "EC_SIGN_P256_SHA256" } as const;
const p384 = { curve: "secp384r1", algorithm: "EC_SIGN_P384_SHA384" } as const;

async function refusal(load: Promise<unknown>): Promise<Error> {
  const error = await load.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("crc32c", () => {
  it("matches the CRC-32C check value and RFC 3720 §B.4 vectors", () => {
    expect(crc32c("123456789")).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });
});

describe("Cloud KMS signer", () => {
  it("loads the public key once and signs P-256 digests with integrity checks", async () => {
    const kms = new FakeKms(p256);
    const signer = await loadSigner({ kind: "kms", keyVersion, client: kms });
    expect(kms.publicKeyRequests).toEqual([{ name: keyVersion }]);
    expect(signer.algorithm).toBe("ecdsa-p256-sha256");
    expect(signer.spki).toEqual(kms.publicKey.export({ type: "spki", format: "der" }));

    const message = Buffer.from("log.example.com - 1\n42\nroot\n");
    kms.willSign(message);
    const signature = await signer.sign(message);
    const digest = createHash("sha256").update(message).digest();
    expect(kms.signRequests).toEqual([
      { name: keyVersion, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } },
    ]);
    expect(verify("sha256", message, signer.publicKey, signature)).toBe(true);
    expect(kms.publicKeyRequests).toHaveLength(1);
  });

  it("signs P-384 keys over SHA-384 digests", async () => {
    const kms = new FakeKms(p384);
    const signer = await loadSigner({ kind: "kms", keyVersion, client: kms });
    expect(signer.algorithm).toBe("ecdsa-p384-sha384");
    const message = Buffer.from("timestamp request");
    kms.willSign(message);
    const signature = await signer.sign(message);
    expect(Object.keys(kms.signRequests[0]?.digest ?? {})).toEqual(["sha384"]);
    expect(verify("sha384", message, signer.publicKey, signature)).toBe(true);
  });

  it("accepts checksums as numbers, strings or Long objects, and enum numbers for the algorithm", async () => {
    const asLong = (value: unknown) => ({ low: 0, high: 0, unsigned: true, toString: () => String(value) });
    const kms = new FakeKms({
      ...p256,
      algorithm: 12,
      publicKey: (response) => ({
        ...response,
        pemCrc32c: { value: asLong(response.pemCrc32c?.value) as never },
      }),
      signResponse: (response) => ({
        ...response,
        signatureCrc32c: { value: String(response.signatureCrc32c?.value) },
      }),
    });
    const signer = await loadSigner({ kind: "kms", keyVersion, client: kms, algorithm: "ecdsa-p256-sha256" });
    kms.willSign(Buffer.from("x"));
    expect(verify("sha256", Buffer.from("x"), signer.publicKey, await signer.sign(Buffer.from("x")))).toBe(
      true,
    );
  });

  it("refuses algorithms Signet does not sign with", async () => {
    const rsa = new FakeKms({ ...p256, algorithm: "RSA_SIGN_PKCS1_2048_SHA256" });
    const error = await refusal(loadSigner({ kind: "kms", keyVersion, client: rsa }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("RSA_SIGN_PKCS1_2048_SHA256 is not supported");

    const wrongConfig = await refusal(
      loadSigner({ kind: "kms", keyVersion, client: new FakeKms(p384), algorithm: "ecdsa-p256-sha256" }),
    );
    expect(wrongConfig).toBeInstanceOf(ConfigError);
    expect(wrongConfig.message).toBe(
      `${keyVersion}: key is ecdsa-p384-sha384, but ecdsa-p256-sha256 is configured`,
    );

    const mislabelled = new FakeKms({ ...p256, algorithm: "EC_SIGN_P384_SHA384" });
    expect((await refusal(loadSigner({ kind: "kms", keyVersion, client: mislabelled }))).message).toContain(
      "key does not match algorithm EC_SIGN_P384_SHA384",
    );
  });

  it("refuses a public key response that fails the integrity checks", async () => {
    const corruptions: Array<[(response: PublicKey) => PublicKey, string]> = [
      [(r) => ({ ...r, pemCrc32c: { value: Number(r.pemCrc32c?.value) ^ 1 } }), "PEM checksum mismatch"],
      [(r) => ({ ...r, pemCrc32c: null }), "PEM checksum mismatch"],
      [(r) => ({ ...r, pem: r.pem?.replace("A", "B") }), "PEM checksum mismatch"],
      [(r) => ({ ...r, name: `${keyVersion}0` }), "wrong key name"],
    ];
    for (const [publicKey, reason] of corruptions) {
      const error = await refusal(
        loadSigner({ kind: "kms", keyVersion, client: new FakeKms({ ...p256, publicKey }) }),
      );
      expect(error.message).toContain(reason);
    }
  });

  it("refuses signatures that fail the integrity checks", async () => {
    const corruptions: Array<[(response: SignResponse) => SignResponse, string]> = [
      [(r) => ({ ...r, verifiedDigestCrc32c: false }), "digest checksum not verified"],
      [(r) => ({ ...r, verifiedDigestCrc32c: null }), "digest checksum not verified"],
      [
        (r) => ({ ...r, signatureCrc32c: { value: Number(r.signatureCrc32c?.value) ^ 1 } }),
        "signature checksum",
      ],
      [(r) => ({ ...r, signatureCrc32c: undefined }), "signature checksum"],
      [
        (r) => {
          const signature = Buffer.from(r.signature as Uint8Array);
          signature.writeUInt8(signature.readUInt8(10) ^ 1, 10);
          return { ...r, signature };
        },
        "signature checksum",
      ],
      [(r) => ({ ...r, name: "projects/other/cryptoKeyVersions/1" }), "wrong key name"],
    ];
    for (const [signResponse, reason] of corruptions) {
      const kms = new FakeKms({ ...p256, signResponse });
      const signer = await loadSigner({ kind: "kms", keyVersion, client: kms });
      kms.willSign(Buffer.from("entry"));
      const error = await refusal(signer.sign(Buffer.from("entry")));
      expect(error.message).toContain(reason);
    }
  });

  it("sends the checksum of the digest it asks KMS to sign", async () => {
    const kms = new FakeKms(p256);
    const signer = await loadSigner({ kind: "kms", keyVersion, client: kms });
    for (const text of ["a", "b", "c"]) {
      kms.willSign(Buffer.from(text));
      await signer.sign(Buffer.from(text));
    }
    for (const request of kms.signRequests) {
      expect(request.digestCrc32c?.value).toBe(crc32c(request.digest?.sha256 as Uint8Array));
    }
    expect(new Set(kms.signRequests.map((r) => r.digestCrc32c?.value)).size).toBe(3);
  });
});
