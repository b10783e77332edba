/** Modular arithmetic on BigInt for the ECDSA check (ecdsa.ts). */

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

// Leading bits of u and v simulated in doubles: cofactors and quotients stay below 2^53.
const DIGIT_BITS = 48;
const SMALL = 1n << BigInt(DIGIT_BITS);
const LOW = 1n << BigInt(DIGIT_BITS - 8);

/**
 * Modular inverse of a, for m prime and a not 0 mod m: the extended Euclidean algorithm with
 * Lehmer's speed-up (Knuth TAOCP vol. 2 §4.5.2, Algorithm L). Runs of quotients are found from
 * the leading 48 bits in plain numbers and applied to the BigInts as one 2×2 matrix, which does a
 * tenth of the BigInt divisions of the textbook loop. The cofactors follow the same steps:
 * cu·a ≡ u and cv·a ≡ v (mod m) throughout.
 */
export function invert(a: bigint, m: bigint): bigint {
  let u = m;
  let v = mod(a, m);
  let cu = 0n;
  let cv = 1n;
  // u only shrinks: lower the shift a byte at a time to keep 40 to 48 leading bits.
  let shift = BigInt(Math.max(0, m.toString(16).length * 4 - DIGIT_BITS));
  while (v >= SMALL) {
    while (shift > 0n && u >> shift < LOW) shift = shift > 8n ? shift - 8n : 0n;
    const [A, B, C, D] = quotientRun(Number(u >> shift), Number(v >> shift));
    if (B === 0) {
      const q = u / v;
      const t = u - q * v;
      u = v;
      v = t;
      const ct = cu - q * cv;
      cu = cv;
      cv = ct;
    } else {
      const [a1, b1, c1, d1] = [BigInt(A), BigInt(B), BigInt(C), BigInt(D)];
      const t = c1 * u + d1 * v;
      u = a1 * u + b1 * v;
      v = t;
      const ct = c1 * cu + d1 * cv;
      cu = a1 * cu + b1 * cv;
      cv = ct;
    }
  }
  while (v !== 0n) {
    const q = u / v;
    const t = u - q * v;
    u = v;
    v = t;
    const ct = cu - q * cv;
    cu = cv;
    cv = ct;
  }
  return mod(cu, m);
}

/** Algorithm L steps L2–L3: the matrix of the Euclid steps the leading digits decide alone. */
function quotientRun(leadU: number, leadV: number): [number, number, number, number] {
  let [u, v] = [leadU, leadV];
  let [A, B, C, D] = [1, 0, 0, 1];
  while (v + C !== 0 && v + D !== 0) {
    const q = Math.floor((u + A) / (v + C));
    if (q !== Math.floor((u + B) / (v + D))) break;
    [A, C] = [C, A - q * C];
    [B, D] = [D, B - q * D];
    [u, v] = [v, u - q * v];
  }
  return [A, B, C, D];
}

/**
 * The inverses of several values mod m for the price of one inversion (Montgomery's trick):
 * running products, one inverse of their total, then each value's inverse from its neighbours'.
 * Every value must lie in 1..m-1, m prime.
 */
export function invertAll(values: readonly bigint[], m: bigint): bigint[] {
  const count = values.length;
  if (count === 0) return [];
  const running: bigint[] = new Array(count);
  let product = 1n;
  for (let i = 0; i < count; i++) {
    product = (product * (values[i] as bigint)) % m;
    running[i] = product;
  }
  let inverse = invert(product, m);
  const inverses: bigint[] = new Array(count);
  for (let i = count - 1; i > 0; i--) {
    inverses[i] = (inverse * (running[i - 1] as bigint)) % m;
    inverse = (inverse * (values[i] as bigint)) % m;
  }
  inverses[0] = inverse;
  return inverses;
}
