/**
 * ECDSA verification over a digest the client computed (hashedrekord signs a pre-hashed artifact).
 *
 * node:crypto (Node 24) has no prehashed verify: `crypto.verify(null, …)` on an EC key hashes with
 * SHA-256 again. So the verification equation of SEC 1 §4.1.4 is evaluated here, with node's
 * native ECDH scalar multiplication doing the expensive part:
 *
 *   R = u1·G + u2·Q  with  u1 = e/s, u2 = r/s  (mod n)
 *     = u2·(k·G + Q) with  k = u1/u2 = e/r    (mod n)
 *
 * k·G comes from ECDH key derivation, the single point addition k·G + Q is done with BigInt, and
 * x(u2·P) is exactly what ECDH computeSecret returns. The signature is valid iff x(R) ≡ r (mod n).
 */
import { createECDH, type ECDH } from "node:crypto";
import { invert, mod } from "./modular.ts";

export type EcCurve = "P-256" | "P-384" | "P-521";

interface CurveParameters {
  /** OpenSSL name for createECDH. */
  openssl: string;
  /** Field prime; every NIST prime curve has a = p - 3 (FIPS 186-4 §D.1.2). */
  p: bigint;
  /** Order of the base point. */
  n: bigint;
  /** Bytes of a field element (and of an uncompressed coordinate). */
  size: number;
  /** Bit length of n. */
  orderBits: number;
}

const CURVES: Readonly<Record<EcCurve, CurveParameters>> = {
  "P-256": {
    openssl: "prime256v1",
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    size: 32,
    orderBits: 256,
  },
  "P-384": {
    openssl: "secp384r1",
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    size: 48,
    orderBits: 384,
  },
  "P-521": {
    openssl: "secp521r1",
    p: (1n << 521n) - 1n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    size: 66,
    orderBits: 521,
  },
};

type Point = { x: bigint; y: bigint } | null; // null: the point at infinity

const ecdhByCurve = new Map<EcCurve, ECDH>();

/**
 * @param point uncompressed public point, 0x04 ‖ X ‖ Y
 * @param digest the message digest as signed (truncated to the order's bit length, SEC 1 §4.1.4 step 3)
 * @param signature DER `ECDSA-Sig-Value`
 */
export function verifyEcdsaDigest(curve: EcCurve, point: Buffer, digest: Buffer, signature: Buffer): boolean {
  const c = CURVES[curve];
  const rs = parseDerSignature(signature);
  if (!rs) return false;
  const { r, s } = rs;
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const e = digestToInteger(digest, c.orderBits);
  // One inversion serves both 1/r and 1/s: 1/r = s/(rs), 1/s = r/(rs).
  const inverse = invert(mod(r * s, c.n), c.n);
  const k = mod(e * s * inverse, c.n);
  const u2 = mod(r * r * inverse, c.n);
  const q = { x: toBigInt(point.subarray(1, 1 + c.size)), y: toBigInt(point.subarray(1 + c.size)) };
  const sum = k === 0n ? q : add(multiplyBase(curve, k), q, c.p);
  if (!sum) return false;
  const x = multiplyX(curve, u2, sum);
  return x !== undefined && mod(x, c.n) === r;
}

function ecdh(curve: EcCurve): ECDH {
  let instance = ecdhByCurve.get(curve);
  if (!instance) {
    instance = createECDH(CURVES[curve].openssl);
    ecdhByCurve.set(curve, instance);
  }
  return instance;
}

/** k·G, through ECDH key derivation (the public key of private key k). */
function multiplyBase(curve: EcCurve, k: bigint): { x: bigint; y: bigint } {
  const { size } = CURVES[curve];
  const instance = ecdh(curve);
  instance.setPrivateKey(toBuffer(k, Math.ceil(CURVES[curve].orderBits / 8)));
  const encoded = instance.getPublicKey();
  return { x: toBigInt(encoded.subarray(1, 1 + size)), y: toBigInt(encoded.subarray(1 + size)) };
}

/** x(k·P), through an ECDH shared secret; undefined when the product is the point at infinity. */
function multiplyX(curve: EcCurve, k: bigint, p: { x: bigint; y: bigint }): bigint | undefined {
  const { size } = CURVES[curve];
  const instance = ecdh(curve);
  instance.setPrivateKey(toBuffer(k, Math.ceil(CURVES[curve].orderBits / 8)));
  const encoded = Buffer.concat([Buffer.of(0x04), toBuffer(p.x, size), toBuffer(p.y, size)]);
  try {
    return toBigInt(instance.computeSecret(encoded));
  } catch {
    return undefined;
  }
}

/** Affine point addition (SEC 1 §2.2.1), doubling included, on a curve with a = -3. */
function add(a: { x: bigint; y: bigint }, b: { x: bigint; y: bigint }, p: bigint): Point {
  let slope: bigint;
  if (a.x === b.x) {
    if (mod(a.y + b.y, p) === 0n) return null;
    slope = mod((3n * a.x * a.x - 3n) * invert(mod(2n * a.y, p), p), p);
  } else {
    slope = mod((b.y - a.y) * invert(mod(b.x - a.x, p), p), p);
  }
  const x = mod(slope * slope - a.x - b.x, p);
  return { x, y: mod(slope * (a.x - x) - a.y, p) };
}

/** SEC 1 §4.1.4 step 3: the leftmost bitlen(n) bits of the digest. */
function digestToInteger(digest: Buffer, orderBits: number): bigint {
  const excess = digest.length * 8 - orderBits;
  const value = toBigInt(digest);
  return excess > 0 ? value >> BigInt(excess) : value;
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in DER, as Go's ecdsa.VerifyASN1 reads it:
 * minimal lengths and integers, nothing trailing.
 */
function parseDerSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  if (der[0] !== 0x30 || der.length < 2) return undefined;
  const header = readLength(der, 1);
  if (!header || header.next + header.length !== der.length) return undefined;
  const r = readInteger(der, header.next);
  const s = r && readInteger(der, r.next);
  if (!r || !s || s.next !== der.length) return undefined;
  return { r: r.value, s: s.value };
}

function readLength(der: Buffer, offset: number): { length: number; next: number } | undefined {
  const first = der[offset];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, next: offset + 1 };
  const long = der[offset + 1];
  // A P-521 signature is at most 139 bytes: one length byte after 0x81, and only when >= 128.
  if (first !== 0x81 || long === undefined || long < 0x80) return undefined;
  return { length: long, next: offset + 2 };
}

function readInteger(der: Buffer, offset: number): { value: bigint; next: number } | undefined {
  if (der[offset] !== 0x02) return undefined;
  const header = readLength(der, offset + 1);
  if (!header || header.length === 0) return undefined;
  const start = header.next;
  const end = start + header.length;
  const first = der[start];
  const second = der[start + 1];
  if (end > der.length || first === undefined) return undefined;
  if (first & 0x80) return undefined; // negative
  if (first === 0 && header.length > 1 && second !== undefined && !(second & 0x80)) return undefined; // not minimal
  return { value: toBigInt(der.subarray(start, end)), next: end };
}

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

function toBuffer(value: bigint, size: number): Buffer {
  return Buffer.from(value.toString(16).padStart(size * 2, "0"), "hex");
}
