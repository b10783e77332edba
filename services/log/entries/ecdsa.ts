/**
 * ECDSA verification over a digest the client computed (hashedrekord signs a pre-hashed artifact).
 *
 * node:crypto (Node 24) has no prehashed verify: `crypto.verify(null, …)` on an EC key hashes with
 * SHA-256 again. So the check is moved onto a message node can hash. SEC 1 §4.1.4 accepts iff
 * x(R) ≡ r (mod n) for
 *
 *   R = u1·G + u2·Q  with  u1 = e/s, u2 = r/s  (mod n)
 *
 * For any other digest e' (here: of the empty message, with the curve's own hash) and the shifted
 * key Q' = Q + t·G with t = (e − e')/r, the same R comes out:
 *
 *   (e'/s)·G + (r/s)·Q' = (e'/s)·G + (r/s)·Q + ((e − e')/s)·G = (e/s)·G + (r/s)·Q = R
 *
 * so the signature verifies over e with Q exactly when it verifies over e' with Q'. t·G is an ECDH
 * key derivation (native, fixed base), Q + t·G one affine addition in BigInt, and the verification
 * itself node's native ECDSA verify.
 */
import { createECDH, type ECDH, generateKeyPairSync, hash, verify } from "node:crypto";
import { EC_SPKI_FORMS, type EcCurve } from "../../common/ec-spki.ts";
import { invert, invertAll, mod } from "./modular.ts";

export type { EcCurve };

interface CurveParameters {
  /** OpenSSL name for createECDH. */
  openssl: string;
  /** The hash node verifies with on this curve (the one its signatures are usually made with). */
  hash: "sha256" | "sha384" | "sha512";
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
    hash: "sha256",
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    size: 32,
    orderBits: 256,
  },
  "P-384": {
    openssl: "secp384r1",
    hash: "sha384",
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    size: 48,
    orderBits: 384,
  },
  "P-521": {
    openssl: "secp521r1",
    hash: "sha512",
    p: (1n << 521n) - 1n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    size: 66,
    orderBits: 521,
  },
};

type Affine = { x: bigint; y: bigint };
type Point = Affine | null; // null: the point at infinity

/** Per curve: the ECDH instance for k·G, the SPKI bytes before X ‖ Y, e', and b. */
interface CurveTools {
  ecdh: ECDH;
  spkiPrefix: Buffer;
  emptyDigest: bigint;
  /** The curve's b in y² = x³ − 3x + b, read off a point OpenSSL generated. */
  b: bigint;
}

const tools = new Map<EcCurve, CurveTools>();
const EMPTY = Buffer.alloc(0);

/** One ECDSA check over a digest the signer computed. */
export interface EcdsaCheck {
  curve: EcCurve;
  /** Uncompressed public point, 0x04 ‖ X ‖ Y; a point off the curve fails the check. */
  point: Buffer;
  /** The message digest as signed (truncated to the order's bit length, SEC 1 §4.1.4 step 3). */
  digest: Buffer;
  /** DER `ECDSA-Sig-Value`. */
  signature: Buffer;
}

/** Whether an uncompressed point 0x04 ‖ X ‖ Y lies on `curve` (SEC 1 §3.2.2.1). */
export function isOnCurve(curve: EcCurve, point: Buffer): boolean {
  const { size, p } = CURVES[curve];
  if (point.length !== 1 + 2 * size || point[0] !== 0x04) return false;
  return onCurve(pointOf(point, size), p, curveTools(curve).b);
}

export function verifyEcdsaDigest(curve: EcCurve, point: Buffer, digest: Buffer, signature: Buffer): boolean {
  return verifyEcdsaDigests([{ curve, point, digest, signature }])[0] === true;
}

/**
 * Several checks at once, each verdict as verifyEcdsaDigest would give it. Each check needs two
 * modular inversions, r⁻¹ mod n and the slope's denominator mod p; in BigInt they cost more than
 * the rest of the arithmetic, so each is done once per curve for the whole batch (Montgomery's
 * trick, modular.ts invertAll).
 */
export function verifyEcdsaDigests(checks: readonly EcdsaCheck[]): boolean[] {
  const verdicts = checks.map(() => false);
  for (const curve of new Set(checks.map((check) => check.curve))) {
    const positions = checks.flatMap((check, i) => (check.curve === curve ? [i] : []));
    for (const [i, verdict] of verifyOnCurve(
      curve,
      positions.map((i) => checks[i] as EcdsaCheck),
    ).entries())
      verdicts[positions[i] as number] = verdict;
  }
  return verdicts;
}

function verifyOnCurve(curve: EcCurve, checks: readonly EcdsaCheck[]): boolean[] {
  const c = CURVES[curve];
  const { emptyDigest, b } = curveTools(curve);
  const verdicts = checks.map(() => false);
  const signed: Array<{ at: number; r: bigint; s: bigint }> = [];
  checks.forEach((check, at) => {
    const rs = parseDerSignature(check.signature);
    if (rs && rs.r > 0n && rs.r < c.n && rs.s > 0n && rs.s < c.n) signed.push({ at, ...rs });
  });
  // t = (e − e')/r for every check, then Q' = Q + t·G.
  const rInverses = invertAll(
    signed.map(({ r }) => r),
    c.n,
  );
  const sums: Array<{
    at: number;
    tG: Affine;
    q: Affine;
    denominator: bigint;
  }> = [];
  signed.forEach(({ at, r, s }, k) => {
    const check = checks[at] as EcdsaCheck;
    const e = digestToInteger(check.digest, c.orderBits);
    const t = mod((e - emptyDigest) * (rInverses[k] as bigint), c.n);
    const q = pointOf(check.point, c.size);
    // The identity below holds for points of the curve only. OpenSSL refuses other points when
    // the key is parsed, and this keeps the function sound on its own: with Q off the curve and
    // x(Q) = x(t·G), add() would double t·G, whose key the signer knows.
    if (!onCurve(q, c.p, b)) return;
    if (t === 0n) {
      verdicts[at] = verifyShifted(curve, q, check.signature);
      return;
    }
    const tG = multiplyBase(curve, t);
    // Only non-zero denominators go into the shared inversion: a zero would spoil every inverse.
    const denominator = mod(q.x - tG.x, c.p);
    if (denominator !== 0n) {
      sums.push({ at, tG, q, denominator });
      return;
    }
    // Doubling, or Q' at infinity: rare enough to invert on its own. At infinity R = (e'/s)·G,
    // which is checked directly.
    const shifted = add(tG, q, c.p);
    verdicts[at] = shifted
      ? verifyShifted(curve, shifted, check.signature)
      : baseX(curve, mod(emptyDigest * invert(s, c.n), c.n)) === r;
  });
  const slopeInverses = invertAll(
    sums.map(({ denominator }) => denominator),
    c.p,
  );
  sums.forEach(({ at, tG, q }, k) => {
    const shifted = addDistinct(tG, q, c.p, slopeInverses[k] as bigint);
    verdicts[at] = verifyShifted(curve, shifted, (checks[at] as EcdsaCheck).signature);
  });
  return verdicts;
}

/**
 * node's own verify of `signature` over the empty message, with the shifted key Q'. The key goes
 * in as DER rather than a KeyObject: a KeyObject per entry is a native object for the garbage
 * collector to finalize.
 */
function verifyShifted(curve: EcCurve, shifted: Affine, signature: Buffer): boolean {
  const c = CURVES[curve];
  const spki = Buffer.concat([
    curveTools(curve).spkiPrefix,
    toBuffer(shifted.x, c.size),
    toBuffer(shifted.y, c.size),
  ]);
  try {
    return verify(c.hash, EMPTY, { key: spki, format: "der", type: "spki" }, signature);
  } catch {
    return false;
  }
}

function curveTools(curve: EcCurve): CurveTools {
  let found = tools.get(curve);
  if (!found) {
    const c = CURVES[curve];
    const spki = generateKeyPairSync("ec", { namedCurve: c.openssl }).publicKey.export({
      type: "spki",
      format: "der",
    });
    const { x, y } = pointOf(spki.subarray(spki.length - (1 + 2 * c.size)), c.size);
    const form = EC_SPKI_FORMS.find((known) => known.curve === curve);
    if (!form?.prefix.equals(spki.subarray(0, form.prefix.length)))
      throw new Error(`node exports ${curve} keys in a form ec-spki.ts does not know`);
    found = {
      ecdh: createECDH(c.openssl),
      spkiPrefix: form.prefix,
      emptyDigest: digestToInteger(hash(c.hash, EMPTY, "buffer"), c.orderBits),
      b: mod(y * y - x * x * x + 3n * x, c.p),
    };
    tools.set(curve, found);
  }
  return found;
}

/**
 * k·G (k in 1..n-1), through ECDH key derivation: the public key of private key k. In and out as
 * hex, which BigInt reads directly, instead of the native buffer node would return.
 */
function multiplyBase(curve: EcCurve, k: bigint): Affine {
  const { size, orderBits } = CURVES[curve];
  const { ecdh } = curveTools(curve);
  ecdh.setPrivateKey(k.toString(16).padStart(Math.ceil(orderBits / 8) * 2, "0"), "hex");
  const encoded = ecdh.getPublicKey("hex");
  return {
    x: BigInt(`0x${encoded.slice(2, 2 + 2 * size)}`),
    y: BigInt(`0x${encoded.slice(2 + 2 * size)}`),
  };
}

/** x(k·G) mod n, or -1n when k·G is the point at infinity (k = 0). */
function baseX(curve: EcCurve, k: bigint): bigint {
  return k === 0n ? -1n : mod(multiplyBase(curve, k).x, CURVES[curve].n);
}

/** SEC 1 §3.2.2.1 step 2–3: coordinates in the field, and y² = x³ − 3x + b. */
function onCurve({ x, y }: Affine, p: bigint, b: bigint): boolean {
  return x < p && y < p && mod(y * y - (x * x * x - 3n * x + b), p) === 0n;
}

/** Affine point addition (SEC 1 §2.2.1), doubling included, on a curve with a = -3. */
function add(a: Affine, b: Affine, p: bigint): Point {
  if (a.x !== b.x) return addDistinct(a, b, p, invert(mod(b.x - a.x, p), p));
  if (mod(a.y + b.y, p) === 0n) return null;
  return throughSlope(a, b, p, mod((3n * a.x * a.x - 3n) * invert(mod(2n * a.y, p), p), p));
}

/** a + b for a.x ≠ b.x, given (b.x − a.x)⁻¹ mod p. */
function addDistinct(a: Affine, b: Affine, p: bigint, inverse: bigint): Affine {
  return throughSlope(a, b, p, mod((b.y - a.y) * inverse, p));
}

/** The third point on the line through a and b with this slope, reflected: a + b. */
function throughSlope(a: Affine, b: Affine, p: bigint, slope: bigint): Affine {
  const x = mod(slope * slope - a.x - b.x, p);
  return { x, y: mod(slope * (a.x - x) - a.y, p) };
}

/** The coordinates of an uncompressed point 0x04 ‖ X ‖ Y with `size`-byte coordinates. */
function pointOf(encoded: Buffer, size: number): Affine {
  return { x: toBigInt(encoded.subarray(1, 1 + size)), y: toBigInt(encoded.subarray(1 + size)) };
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
