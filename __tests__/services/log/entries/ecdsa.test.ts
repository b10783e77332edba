import {
  createECDH,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type EcCurve,
  type EcdsaCheck,
  verifyEcdsaDigest,
  verifyEcdsaDigests,
} from "../../../../services/log/entries/ecdsa.ts";

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

  it("accepts a signature over the digest the check itself verifies against (no key shift)", () => {
    const hash = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" }[curve];
    const { digest, signature } = signed(hash, Buffer.alloc(0));
    expect(verifyEcdsaDigest(curve, key.point, digest, signature)).toBe(true);
    expect(verifyEcdsaDigest(curve, key.point, flipBit(digest, 0), signature)).toBe(false);
  });

  it("agrees with node's verify for a key made so that the shifted key is the point at infinity", () => {
    // With e' the digest of the empty message, pick R = k·G, r = x(R), s = e'/k, and the key
    // Q = −((e − e')/r)·G: the signature is valid, and Q + ((e − e')/r)·G is the point at infinity.
    const hash = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" }[curve];
    const message = Buffer.from("crafted key");
    const e = leftBits(createHash(hash).update(message).digest(), curve);
    const ePrime = leftBits(createHash(hash).digest(), curve);
    const k = 123456789n;
    const r = mod(pointOf(curve, k).x, N[curve]);
    const s = mod(ePrime * inverse(k, N[curve]), N[curve]);
    const t = mod((e - ePrime) * inverse(r, N[curve]), N[curve]);
    const q = pointOf(curve, mod(-t, N[curve]));
    const signature = derSignature(r, s);
    const publicKey = createPublicKey({
      key: { kty: "EC", crv: curve, x: q.jwkX, y: q.jwkY },
      format: "jwk",
    });
    expect(nodeVerifies(hash, message, publicKey, signature)).toBe(true);
    const digest = createHash(hash).update(message).digest();
    expect(verifyEcdsaDigest(curve, q.encoded, digest, signature)).toBe(true);
    expect(verifyEcdsaDigest(curve, q.encoded, flipBit(digest, 3), signature)).toBe(false);
  });

  it("refuses a point off the curve that shares x with the shift, whose doubling the forger knows", () => {
    // R = k·G, r = x(R), t = (e − e')/r and Q = (x(t·G), y) with y ≠ ±y(t·G): not a curve point.
    // Treated as one, Q + t·G is the doubling 2t·G, and s = (2e − e')/k makes (r, s) verify over
    // e' with that key: a forgery, unless the point is checked.
    const hash = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" }[curve];
    const digest = createHash(hash).update("forged").digest();
    const e = leftBits(digest, curve);
    const ePrime = leftBits(createHash(hash).digest(), curve);
    const k = 987654321n;
    const r = mod(pointOf(curve, k).x, N[curve]);
    const s = mod((2n * e - ePrime) * inverse(k, N[curve]), N[curve]);
    const tG = pointOf(curve, mod((e - ePrime) * inverse(r, N[curve]), N[curve])).encoded;
    const offCurve = Buffer.from(tG);
    offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 1;
    expect(verifyEcdsaDigest(curve, offCurve, digest, derSignature(r, s))).toBe(false);
  });

  it("refuses a valid signature checked against another key", () => {
    const { digest, signature } = signed("sha256", Buffer.from("m"));
    expect(verifyEcdsaDigest(curve, keyPair(curve).point, digest, signature)).toBe(false);
  });
});

describe("ECDSA checks in a batch", () => {
  const keys = { "P-256": keyPair("P-256"), "P-384": keyPair("P-384"), "P-521": keyPair("P-521") };
  const others = { "P-256": keyPair("P-256"), "P-384": keyPair("P-384"), "P-521": keyPair("P-521") };
  // One check of any kind the single check meets: valid, altered signature, altered digest,
  // another key, not DER, r or s out of range, no key shift.
  const check = fc
    .record({
      curve: fc.constantFrom<EcCurve>("P-256", "P-384", "P-521"),
      hash: fc.constantFrom(...HASHES),
      message: fc.uint8Array({ maxLength: 16 }),
      damage: fc.constantFrom("none", "signature", "digest", "key", "der", "range", "empty message"),
      bit: fc.nat(),
    })
    .map(({ curve, hash, message, damage, bit }) => {
      const key = keys[curve];
      const own = { "P-256": "sha256", "P-384": "sha384", "P-521": "sha512" }[curve];
      const signedHash = damage === "empty message" ? own : hash;
      const signedMessage = damage === "empty message" ? new Uint8Array() : message;
      let signature: Buffer = sign(signedHash, signedMessage, key.privateKey);
      let digest: Buffer = createHash(signedHash).update(signedMessage).digest();
      let point: Buffer = key.point;
      if (damage === "signature") signature = flipBit(signature, bit);
      if (damage === "digest") digest = flipBit(digest, bit);
      if (damage === "key") point = others[curve].point;
      if (damage === "der") signature = Buffer.concat([signature, Buffer.of(0)]);
      if (damage === "range") signature = derSignature(N[curve], 1n);
      return { curve, point, digest, signature } satisfies EcdsaCheck;
    });

  it("gives every check the verdict it gets alone, whatever else is in the batch", () => {
    fc.assert(
      fc.property(fc.array(check, { maxLength: 10 }), (checks) => {
        const alone = checks.map((c) => verifyEcdsaDigest(c.curve, c.point, c.digest, c.signature));
        expect(verifyEcdsaDigests(checks)).toEqual(alone);
      }),
      { numRuns: 40 },
    );
  });

  it("keeps a forged check false beside valid ones", () => {
    const key = keys["P-256"];
    const valid = () => {
      const message = Buffer.from(String(Math.random()));
      return {
        curve: "P-256" as const,
        point: key.point,
        digest: createHash("sha256").update(message).digest(),
        signature: sign("sha256", message, key.privateKey),
      };
    };
    const forged = { ...valid(), digest: createHash("sha256").update("other").digest() };
    expect(verifyEcdsaDigests([valid(), forged, valid()])).toEqual([true, false, true]);
  });
});

function nodeVerifies(hash: string, message: Uint8Array, publicKey: KeyObject, signature: Buffer): boolean {
  try {
    return verify(hash, message, publicKey, signature);
  } catch {
    return false;
  }
}

const N: Record<EcCurve, bigint> = {
  "P-256": 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  "P-384":
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  "P-521":
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};
const OPENSSL: Record<EcCurve, string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;

/** a^(m−2) mod m: the inverse for prime m, by square and multiply (slow, and independent of the code). */
function inverse(a: bigint, m: bigint): bigint {
  let result = 1n;
  let base = mod(a, m);
  for (let exponent = m - 2n; exponent > 0n; exponent >>= 1n) {
    if (exponent & 1n) result = mod(result * base, m);
    base = mod(base * base, m);
  }
  return result;
}

function leftBits(digest: Buffer, curve: EcCurve): bigint {
  const value = BigInt(`0x${digest.toString("hex")}`);
  const excess = digest.length * 8 - ORDER_BITS[curve];
  return excess > 0 ? value >> BigInt(excess) : value;
}

function pointOf(curve: EcCurve, k: bigint) {
  const ecdh = createECDH(OPENSSL[curve]);
  ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(Math.ceil(ORDER_BITS[curve] / 8) * 2, "0"), "hex"));
  const encoded = ecdh.getPublicKey();
  const size = (encoded.length - 1) / 2;
  const xBytes = encoded.subarray(1, 1 + size);
  const yBytes = encoded.subarray(1 + size);
  return {
    encoded,
    x: BigInt(`0x${xBytes.toString("hex")}`),
    jwkX: xBytes.toString("base64url"),
    jwkY: yBytes.toString("base64url"),
  };
}

function derSignature(r: bigint, s: bigint): Buffer {
  const integer = (value: bigint) => {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, "hex");
    if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
    return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  const length = body.length < 0x80 ? Buffer.of(body.length) : Buffer.of(0x81, body.length);
  return Buffer.concat([Buffer.of(0x30), length, body]);
}
