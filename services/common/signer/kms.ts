import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { protos } from "@google-cloud/kms";
import { ConfigError } from "../config.ts";
import { crc32c } from "./crc32c.ts";
import { algorithmOf, type KeyAlgorithm, keyAlgorithms, type Signer } from "./types.ts";

type Kms = typeof protos.google.cloud.kms.v1;
type PublicKeyResponse = protos.google.cloud.kms.v1.IPublicKey;
type SignRequest = protos.google.cloud.kms.v1.IAsymmetricSignRequest;
type SignResponse = protos.google.cloud.kms.v1.IAsymmetricSignResponse;
type Int64Value = protos.google.protobuf.IInt64Value;

/** The two KeyManagementServiceClient methods a signer uses; tests pass a fake. */
export interface KmsClientLike {
  getPublicKey(
    request: protos.google.cloud.kms.v1.IGetPublicKeyRequest,
  ): Promise<[PublicKeyResponse, ...unknown[]]>;
  asymmetricSign(request: SignRequest): Promise<[SignResponse, ...unknown[]]>;
}

export interface KmsSignerConfig {
  /** projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/… */
  keyVersion: string;
  client: KmsClientLike;
  /** When given, a key version of any other algorithm is refused. */
  algorithm?: KeyAlgorithm;
}

/** Cloud KMS algorithm names (and their enum numbers, when the client returns numbers). */
const kmsAlgorithms: Record<string, KeyAlgorithm> = {
  EC_SIGN_P256_SHA256: "ecdsa-p256-sha256",
  EC_SIGN_P384_SHA384: "ecdsa-p384-sha384",
  12: "ecdsa-p256-sha256",
  13: "ecdsa-p384-sha384",
} satisfies Partial<
  Record<keyof Kms["CryptoKeyVersion"]["CryptoKeyVersionAlgorithm"] | number, KeyAlgorithm>
>;

/** Int64Value.value arrives as a number, a decimal string or a Long, depending on the transport. */
function checksumMatches(expected: Int64Value | null | undefined, data: Uint8Array | string): boolean {
  const value = expected?.value;
  if (value === null || value === undefined) return false;
  return BigInt(String(value)) === BigInt(crc32c(data));
}

function asBytes(value: Uint8Array | string | null | undefined): Buffer {
  if (typeof value === "string") return Buffer.from(value, "base64");
  return Buffer.from(value ?? []);
}

function integrityError(operation: string, keyVersion: string, what: string): Error {
  return new Error(
    `Cloud KMS ${operation} for ${keyVersion}: ${what}; the response was corrupted in transit`,
  );
}

// https://cloud.google.com/kms/docs/data-integrity-guidelines: check the name and CRC32C of
// every response before using it.
function checkPublicKey(
  keyVersion: string,
  response: PublicKeyResponse,
): { algorithm: KeyAlgorithm; key: KeyObject } {
  if (response.name !== keyVersion) throw integrityError("getPublicKey", keyVersion, "wrong key name");
  if (!response.pem || !checksumMatches(response.pemCrc32c, response.pem)) {
    throw integrityError("getPublicKey", keyVersion, "PEM checksum mismatch");
  }
  const algorithm = kmsAlgorithms[String(response.algorithm)];
  if (!algorithm) {
    throw new ConfigError(
      `${keyVersion}: Cloud KMS algorithm ${String(response.algorithm)} is not supported; use EC_SIGN_P256_SHA256 or EC_SIGN_P384_SHA384`,
    );
  }
  const key = createPublicKey(response.pem);
  if (algorithmOf(key) !== algorithm) {
    throw integrityError(
      "getPublicKey",
      keyVersion,
      `key does not match algorithm ${String(response.algorithm)}`,
    );
  }
  return { algorithm, key };
}

function checkSignature(keyVersion: string, response: SignResponse): Buffer {
  if (response.name !== keyVersion) throw integrityError("asymmetricSign", keyVersion, "wrong key name");
  if (response.verifiedDigestCrc32c !== true) {
    throw integrityError("asymmetricSign", keyVersion, "digest checksum not verified");
  }
  const signature = asBytes(response.signature);
  if (!checksumMatches(response.signatureCrc32c, signature)) {
    throw integrityError("asymmetricSign", keyVersion, "signature checksum mismatch");
  }
  return signature;
}

/** A signer whose private key never leaves Cloud KMS: one getPublicKey at load, one asymmetricSign per signature. */
export async function loadKmsSigner(config: KmsSignerConfig): Promise<Signer> {
  const { keyVersion, client } = config;
  const [response] = await client.getPublicKey({ name: keyVersion });
  const { algorithm, key } = checkPublicKey(keyVersion, response);
  if (config.algorithm && config.algorithm !== algorithm) {
    throw new ConfigError(`${keyVersion}: key is ${algorithm}, but ${config.algorithm} is configured`);
  }
  const { hash } = keyAlgorithms[algorithm];
  return {
    algorithm,
    publicKey: key,
    spki: key.export({ type: "spki", format: "der" }),
    async sign(data) {
      const digest = createHash(hash).update(data).digest();
      const [signed] = await client.asymmetricSign({
        name: keyVersion,
        digest: { [hash]: digest },
        digestCrc32c: { value: crc32c(digest) },
      });
      return checkSignature(keyVersion, signed);
    },
  };
}
