import { createHash } from "node:crypto";
import * as asn1js from "asn1js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  childrenOf,
  objectIdentifier,
  readElement,
  sequence,
  tlv,
  unsignedInteger,
  validityTime,
} from "../../../services/ca/certificate/der.ts";
import { keyIdentifier } from "../../../services/ca/certificate/extensions.ts";
import { generateKey } from "../../support/pki.ts";

const ber = (block: asn1js.BaseBlock) => Buffer.from(block.toBER());

describe("the certificate DER writer", () => {
  it("encodes object identifiers as asn1js does, large arcs included", () => {
    const arc = fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 2 ** 40 }));
    const oid = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { maxLength: 8 }))
      .map(([first, second, rest]) => [first, second, ...rest].join("."));
    fc.assert(
      fc.property(oid, (dotted) => {
        expect(objectIdentifier(dotted)).toEqual(ber(new asn1js.ObjectIdentifier({ value: dotted })));
      }),
    );
  });

  it("encodes non-negative integers DER-minimal, as asn1js does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 24 }), (bytes) => {
        const value = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
        expect(unsignedInteger(Buffer.from(bytes))).toEqual(ber(asn1js.Integer.fromBigInt(value)));
      }),
    );
  });

  it("writes short and long lengths, and reads back what it wrote", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
        const encoded = tlv(0x04, Buffer.from(bytes));
        expect(encoded).toEqual(ber(new asn1js.OctetString({ valueHex: bytes })));
        const element = readElement(encoded, 0);
        expect(encoded.subarray(element.contentStart, element.end)).toEqual(Buffer.from(bytes));
        expect(element.end).toBe(encoded.length);
      }),
    );
    const outer = sequence(tlv(0x05, Buffer.alloc(0)), tlv(0x04, Buffer.alloc(300)));
    expect(childrenOf(outer, readElement(outer, 0)).map((child) => child.tag)).toEqual([0x05, 0x04]);
  });

  it("writes UTCTime through 2049 and GeneralizedTime from 2050, in whole seconds", () => {
    expect(validityTime(new Date("2049-12-31T23:59:59Z")).toString("latin1")).toBe("\x17\x0d491231235959Z");
    expect(validityTime(new Date("2050-01-01T00:00:00Z")).toString("latin1")).toBe("\x18\x0f20500101000000Z");
  });

  it("identifies a key by the SHA-1 of its subjectPublicKey bits (RFC 5280 §4.2.1.2)", () => {
    const { spki } = generateKey("ecdsa-p256");
    const parsed = asn1js.fromBER(new Uint8Array(spki)).result as asn1js.Sequence;
    const bits = (parsed.valueBlock.value[1] as asn1js.BitString).valueBlock.valueHexView;
    expect(keyIdentifier(spki)).toEqual(createHash("sha1").update(bits).digest());
  });
});
