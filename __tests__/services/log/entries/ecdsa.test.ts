import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EcCurve, verifyEcdsaDigest } from "../../../../services/log/entries/ecdsa.ts";

const HASHES = ["sha256", "sha384", "sha512"] as const;
const ORDER_BITS: Record<EcCurve, number> = { "P-256": 256, "P-384": 384, "P-521": 521 };

function keyPair(curve: EcCurve) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Buffer.of(4),
    Buffer.from(jwk.x ?? "", "base64url"),
    Buffer.from(jwk.y ?? "", "base64url"),
  ]);
  return { privateKey, publicKey, point };
}

function flipBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  const index = bit % (copy.length * 8);
  copy[index >> 3] = (copy[index >> 3] ?? 0) ^ (1 << (index & 7));
  return copy;
}

describe.each(["P-256", "P-384", "P-521"] as const)("ECDSA %s over a precomputed digest", (curve) => {
  const key = keyPair(curve);
  const signed = (hash: string, message: Uint8Array) => ({
    digest: createHash(hash).update(message).digest(),
    signature: sign(hash, message, key.privateKey),
  });

  it("accepts what node signs, for every digest size", () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.uint8Array({ maxLength: 64 }), (hash, message) => {
        const { digest, signature } = signed(hash, message);
        expect(verifyEcdsaDigest(curve, key.point, digest, signature)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("agrees with node's verify on an altered signature", () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.uint8Array(), fc.nat(), (hash, message, bit) => {
        const { digest, signature } = signed(hash, message);
        const altered = flipBit(signature, bit);
        const expected = nodeVerifies(hash, message, key.publicKey, altered);
        expect(verifyEcdsaDigest(curve, key.point, digest, altered)).toBe(expected);
      }),
      { numRuns: 30 },
    );
  });

  it("refuses an altered digest, unless the bit lies beyond the order's length (SEC 1 §4.1.4 step 3)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), fc.uint8Array(), fc.nat(), (hash, message, bit) => {
        const { digest, signature } = signed(hash, message);
        const index = bit % (digest.length * 8);
        const fromLeft = (index >> 3) * 8 + (7 - (index & 7));
        const truncatedAway = fromLeft >= ORDER_BITS[curve];
        expect(verifyEcdsaDigest(curve, key.point, flipBit(digest, index), signature)).toBe(truncatedAway);
      }),
      { numRuns: 30 },
    );
  });

  it("refuses signatures that are not strict DER", () => {
    const { digest, signature } = signed("sha256", Buffer.from("m"));
    expect(verifyEcdsaDigest(curve, key.point, digest, Buffer.concat([signature, Buffer.of(0)]))).toBe(false);
    expect(verifyEcdsaDigest(curve, key.point, digest, signature.subarray(0, -1))).toBe(false);
    expect(verifyEcdsaDigest(curve, key.point, digest, Buffer.from("3006020100020101", "hex"))).toBe(false);
    expect(verifyEcdsaDigest(curve, key.point, digest, Buffer.alloc(0))).toBe(false);
  });

  it("refuses a valid signature checked against another key", () => {
    const { digest, signature } = signed("sha256", Buffer.from("m"));
    expect(verifyEcdsaDigest(curve, keyPair(curve).point, digest, signature)).toBe(false);
  });
});

function nodeVerifies(hash: string, message: Uint8Array, publicKey: KeyObject, signature: Buffer): boolean {
  try {
    return verify(hash, message, publicKey, signature);
  } catch {
    return false;
  }
}
