import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../../services/common/errors.ts";
import { decodeBase64 } from "../../../../services/log/entries/encoding.ts";

// RFC 4648 §4 with padding, the form Rekor's schemas require.
const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function refusal(value: string): { code: string; message: string } | undefined {
  try {
    decodeBase64(value, "field");
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe("decodeBase64", () => {
  it("decodes standard padded base64 of any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeBase64(Buffer.from(bytes).toString("base64"), "field").equals(Buffer.from(bytes))).toBe(
          true,
        );
      }),
    );
  });

  it("accepts only canonical base64: whatever it takes re-encodes to itself", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n.";
    const text = fc
      .array(fc.constantFrom(...alphabet), { maxLength: 24 })
      .map((characters) => characters.join(""));
    fc.assert(
      fc.property(text, (value) => {
        const refused = refusal(value);
        expect(refused === undefined).toBe(
          CANONICAL.test(value) && Buffer.from(value, "base64").toString("base64") === value,
        );
        if (refused) expect(refused.code).toBe("BAD_ENCODING");
      }),
    );
  });

  it.each([
    ["URL-safe characters", "ab-_", "not standard padded base64"],
    ["missing padding", "YWI", "not standard padded base64"],
    ["whitespace", "YW Jj", "not standard padded base64"],
    ["a character outside the alphabet", "YW.j", "not standard padded base64"],
    ["non-zero pad bits", "YWJ=", "non-canonical base64"],
  ])("refuses %s and says which", (_, value, message) => {
    expect(refusal(value)).toEqual({ code: "BAD_ENCODING", message: `field: ${message}` });
  });

  it("refuses more bytes than allowed", () => {
    expect(() => decodeBase64(Buffer.alloc(9).toString("base64"), "field", 8)).toThrow(
      "field: longer than 8 bytes",
    );
  });
});
