import { createECDH, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EC_SPKI_FORMS, ecPoint, ecSpkiForm } from "../../../services/common/ec-spki.ts";

describe("EC SubjectPublicKeyInfo forms", () => {
  it.each(EC_SPKI_FORMS.map((form) => [form.curve, form] as const))(
    "%s: every key node exports is in the form, and its point is the key's",
    (_, form) => {
      for (let i = 0; i < 8; i++) {
        const { publicKey } = generateKeyPairSync("ec", { namedCurve: form.namedCurve });
        const spki = publicKey.export({ type: "spki", format: "der" });
        expect(ecSpkiForm(spki)).toBe(form);
        const jwk = publicKey.export({ format: "jwk" });
        const point = ecPoint(spki, form);
        expect(point[0]).toBe(0x04);
        expect(
          point
            .subarray(1)
            .equals(
              Buffer.concat([
                Buffer.from(jwk.x as string, "base64url"),
                Buffer.from(jwk.y as string, "base64url"),
              ]),
            ),
        ).toBe(true);
      }
    },
  );

  it("knows no other encoding: compressed points, other curves, truncated or longer keys", () => {
    const p256 = EC_SPKI_FORMS[0];
    if (!p256) throw new Error("no P-256 form");
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const compressed = Buffer.concat([
      Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"),
      ecdh.getPublicKey(null, "compressed"),
    ]);
    expect(ecSpkiForm(compressed)).toBeUndefined();
    const secp256k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey;
    expect(ecSpkiForm(secp256k1.export({ type: "spki", format: "der" }))).toBeUndefined();
    const spki = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({
      type: "spki",
      format: "der",
    });
    expect(ecSpkiForm(spki.subarray(0, spki.length - 1))).toBeUndefined();
    expect(ecSpkiForm(Buffer.concat([spki, Buffer.of(0)]))).toBeUndefined();
    const hybrid = Buffer.from(spki);
    hybrid[p256.prefix.length - 1] = 0x06;
    expect(ecSpkiForm(hybrid)).toBeUndefined();
  });
});
