import { generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/common/config.ts";
import { loadSigner } from "../../../services/common/signer/index.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "signet-signer-"));
}

function writeKey(path: string, key: KeyObject): void {
  writeFileSync(path, key.export({ type: "pkcs8", format: "pem" }));
}

async function loadError(load: Promise<unknown>): Promise<string> {
  const error = await load.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe("file signer", () => {
  it("generates a P-256 key on first use, owner-readable only, and reuses it", async () => {
    const path = join(tempDir(), "keys", "nested", "log.pem");
    const signer = await loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: true });
    expect(readFileSync(path, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(signer.algorithm).toBe("ecdsa-p256-sha256");
    expect(signer.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(signer.spki).toEqual(signer.publicKey.export({ type: "spki", format: "der" }));

    const again = await loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: true });
    expect(again.spki).toEqual(signer.spki);
  });

  it("signs with SHA-256 for P-256, as a DER signature", async () => {
    const path = join(tempDir(), "log.pem");
    const signer = await loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: true });
    const data = Buffer.from("rekor.example.com - 1234\n7\nroot\n");
    const signature = await signer.sign(data);
    expect(signature[0]).toBe(0x30);
    expect(verify("sha256", data, { key: signer.publicKey, dsaEncoding: "der" }, signature)).toBe(true);
    expect(verify("sha256", Buffer.from("other"), signer.publicKey, signature)).toBe(false);
  });

  it("signs with SHA-384 for P-384", async () => {
    const path = join(tempDir(), "tsa.pem");
    const signer = await loadSigner({ kind: "file", path, algorithm: "ecdsa-p384-sha384", create: true });
    expect(signer.publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
    const data = Buffer.from("timestamp");
    const signature = await signer.sign(data);
    expect(verify("sha384", data, signer.publicKey, signature)).toBe(true);
    expect(verify("sha256", data, signer.publicKey, signature)).toBe(false);
  });

  it("loads an existing PKCS#8 key", async () => {
    const path = join(tempDir(), "ct.pem");
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    writeKey(path, privateKey);
    const signer = await loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: false });
    expect(signer.spki).toEqual(publicKey.export({ type: "spki", format: "der" }));
  });

  it("writes one key when two loads race to create it", async () => {
    const path = join(tempDir(), "log.pem");
    const config = { kind: "file", path, algorithm: "ecdsa-p256-sha256", create: true } as const;
    const [first, second] = await Promise.all([loadSigner(config), loadSigner(config)]);
    expect(first.spki).toEqual(second.spki);
  });

  it("refuses a missing file when it may not create one", async () => {
    const path = join(tempDir(), "absent.pem");
    const message = await loadError(
      loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: false }),
    );
    expect(message).toBe(`${path}: signing key file does not exist`);
  });

  it("refuses a key of another curve or type", async () => {
    const dir = tempDir();
    const p384 = join(dir, "p384.pem");
    writeKey(p384, generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey);
    expect(
      await loadError(loadSigner({ kind: "file", path: p384, algorithm: "ecdsa-p256-sha256", create: true })),
    ).toBe(`${p384}: key is ecdsa-p384-sha384, but ecdsa-p256-sha256 is configured`);

    const k1 = join(dir, "secp256k1.pem");
    writeKey(k1, generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey);
    expect(
      await loadError(loadSigner({ kind: "file", path: k1, algorithm: "ecdsa-p256-sha256", create: false })),
    ).toContain("key is an EC key on secp256k1");

    const ed = join(dir, "ed25519.pem");
    writeKey(ed, generateKeyPairSync("ed25519").privateKey);
    expect(
      await loadError(loadSigner({ kind: "file", path: ed, algorithm: "ecdsa-p256-sha256", create: false })),
    ).toContain("key is an ed25519 key");
  });

  it("refuses a file that is not a private key", async () => {
    const path = join(tempDir(), "garbage.pem");
    writeFileSync(path, "not a key\n");
    expect(
      await loadError(loadSigner({ kind: "file", path, algorithm: "ecdsa-p256-sha256", create: true })),
    ).toBe(`${path}: not an unencrypted PEM private key`);
  });
});
