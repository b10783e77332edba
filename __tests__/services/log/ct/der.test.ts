import * as asn1js from "asn1js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DerFormatError, decodeObjectIdentifier } from "../../../../services/log/ct/der.ts";

/** The content octets asn1js writes for a dotted OID. */
function encodedContent(dotted: string): Buffer {
  const der = Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
  return der.subarray(2); // tag and a short length: the OIDs below stay under 128 octets
}

const oid = fc
  .tuple(
    fc.constantFrom(0, 1, 2),
    fc.nat({ max: 2 ** 20 }),
    fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 10 }),
  )
  .map(([first, second, rest]) => [first, first < 2 ? second % 40 : second, ...rest].join("."));

describe("decodeObjectIdentifier", () => {
  it("reads back the dotted form asn1js encoded", () => {
    fc.assert(
      fc.property(oid, (dotted) => {
        expect(decodeObjectIdentifier(encodedContent(dotted))).toBe(dotted);
      }),
    );
  });

  it.each([
    ["the poison extension", "1.3.6.1.4.1.11129.2.4.3"],
    ["extended key usage", "2.5.29.37"],
    ["a first arc of 2 with a large second", "2.999.3"],
  ])("reads %s", (_, dotted) => {
    expect(decodeObjectIdentifier(encodedContent(dotted))).toBe(dotted);
  });

  it("refuses empty and truncated content", () => {
    expect(() => decodeObjectIdentifier(Buffer.alloc(0))).toThrow(DerFormatError);
    expect(() => decodeObjectIdentifier(Buffer.of(0x2b, 0x86))).toThrow(DerFormatError);
  });

  it("refuses a component written with a redundant leading byte, first or later", () => {
    expect(decodeObjectIdentifier(Buffer.from("551d11", "hex"))).toBe("2.5.29.17");
    expect(() => decodeObjectIdentifier(Buffer.from("551d8011", "hex"))).toThrow(DerFormatError);
    expect(() => decodeObjectIdentifier(Buffer.from("80551d11", "hex"))).toThrow(DerFormatError);
    expect(() => decodeObjectIdentifier(Buffer.from("55801d11", "hex"))).toThrow(DerFormatError);
    // 0x80 inside a component, after a byte with its continuation bit, is an ordinary digit.
    expect(decodeObjectIdentifier(Buffer.from("2b06010401d679020403", "hex"))).toBe(
      "1.3.6.1.4.1.11129.2.4.3",
    );
    expect(decodeObjectIdentifier(Buffer.from("2a8100", "hex"))).toBe("1.2.128");
  });
});
