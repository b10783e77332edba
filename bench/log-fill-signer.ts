// ECDSA P-256 signatures for the fill, made without a scalar multiplication each: every signature
// of one key reuses one nonce k, so s = k⁻¹(e + r·d) mod n is a few BigInt operations (SEC 1
// §4.1.3). The signatures are valid — clients and the log verify them like any other — but a
// reused nonce gives the private key away, which is harmless only because these keys are the
// benchmark's throwaways. Never sign anything else this way.
import { createECDH, createHash, type KeyObject, randomBytes, verify } from "node:crypto";
import { invert, mod } from "../services/log/entries/modular.ts";

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const toBigInt = (bytes: Buffer): bigint => BigInt(`0x${bytes.toString("hex")}`);

/** DER INTEGER content of a positive value: minimal, with a leading zero when the top bit is set. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

export class ReusedNonceSigner {
  readonly #r: bigint;
  readonly #inverseK: bigint;
  readonly #rd: bigint;

  constructor(privateKey: KeyObject) {
    const { d } = privateKey.export({ format: "jwk" });
    if (!d) throw new Error("not an EC private key");
    const ecdh = createECDH("prime256v1");
    let k = 0n;
    let r = 0n;
    while (r === 0n) {
      k = mod(toBigInt(randomBytes(32)), N);
      if (k === 0n) continue;
      ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, "0"), "hex"));
      r = mod(toBigInt(ecdh.getPublicKey().subarray(1, 33)), N);
    }
    this.#r = r;
    this.#inverseK = invert(k, N);
    this.#rd = mod(r * toBigInt(Buffer.from(d, "base64url")), N);
    const probe = Buffer.from("probe");
    if (!verify("sha256", probe, privateKey, this.sign(probe))) throw new Error("fill signer is broken");
  }

  /** DER ECDSA signature over SHA-256(message), as crypto.sign("sha256", …) would make. */
  sign(message: Buffer): Buffer {
    const e = toBigInt(createHash("sha256").update(message).digest());
    const s = mod(this.#inverseK * (e + this.#rd), N);
    if (s === 0n) throw new Error("s = 0: sign another message");
    const body = Buffer.concat([derInteger(this.#r), derInteger(s)]);
    return Buffer.concat([Buffer.of(0x30, body.length), body]);
  }
}
