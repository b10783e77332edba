import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invert, invertAll, mod } from "../../../../services/log/entries/modular.ts";

// The moduli the ECDSA check inverts modulo: the orders and field primes of P-256, P-384, P-521.
const MODULI = {
  "P-256 order": 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  "P-256 field": 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  "P-384 order":
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  "P-521 field": (1n << 521n) - 1n,
};

/** Fermat's little theorem: a^(m-2) mod m, the slow and obviously right inverse. */
function fermat(a: bigint, m: bigint): bigint {
  let result = 1n;
  let base = mod(a, m);
  for (let e = m - 2n; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

describe.each(Object.entries(MODULI))("invert modulo the %s", (_name, m) => {
  const bits = m.toString(2).length;

  it("agrees with Fermat's inverse for random values of every size", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: m - 1n }), fc.nat({ max: bits }), (value, shift) => {
        const a = value >> BigInt(shift) || 1n;
        expect(invert(a, m)).toBe(fermat(a, m));
      }),
      { numRuns: 200 },
    );
  });

  it("inverts the edge values 1, 2, m - 1 and values congruent to them", () => {
    for (const a of [1n, 2n, m - 1n, m + 1n, -1n, 2n ** BigInt(bits - 1)]) {
      expect(mod(invert(a, m) * a, m)).toBe(1n);
    }
  });

  it("inverts a batch as invert does one by one (Montgomery's trick)", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: m - 1n }), { maxLength: 12 }), (values) => {
        expect(invertAll(values, m)).toEqual(values.map((value) => invert(value, m)));
      }),
      { numRuns: 50 },
    );
  });
});
