// Cloud KMS at the client-library boundary, for tests that sign certificates through KMS signers.
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { protos } from "@google-cloud/kms";
import { crc32c } from "../../services/common/signer/crc32c.ts";
import { loadSigner } from "../../services/common/signer/index.ts";
import type { Signer } from "../../services/common/signer/types.ts";

type PublicKeyResponse = protos.google.cloud.kms.v1.IPublicKey;
type SignRequest = protos.google.cloud.kms.v1.IAsymmetricSignRequest;
type SignResponse = protos.google.cloud.kms.v1.IAsymmetricSignResponse;

/**
 * Cloud KMS at the client-library boundary, over a local key. KMS signs digests and node cannot,
 * so the signer handed out tells the fake each message before the real KMS signer sends its digest.
 */
export class FakeKms {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  signRequests = 0;
  private readonly name =
    `projects/p/locations/global/keyRings/r/cryptoKeys/${randomName()}/cryptoKeyVersions/1`;
  private readonly hash: "sha256" | "sha384";
  private readonly messages = new Map<string, Buffer>();

  constructor(curve: "prime256v1" | "secp384r1") {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync("ec", {
      namedCurve: curve,
    }));
    this.hash = curve === "prime256v1" ? "sha256" : "sha384";
  }

  async signer(): Promise<Signer> {
    const kms = await loadSigner({ kind: "kms", keyVersion: this.name, client: this });
    return {
      ...kms,
      sign: (data) => {
        this.messages.set(createHash(this.hash).update(data).digest("hex"), data);
        return kms.sign(data);
      },
    };
  }

  async getPublicKey(): Promise<[PublicKeyResponse]> {
    const pem = this.publicKey.export({ type: "spki", format: "pem" }) as string;
    const algorithm = this.hash === "sha256" ? "EC_SIGN_P256_SHA256" : "EC_SIGN_P384_SHA384";
    return [{ name: this.name, pem, pemCrc32c: { value: String(crc32c(pem)) }, algorithm }];
  }

  async asymmetricSign(request: SignRequest): Promise<[SignResponse]> {
    this.signRequests++;
    const digest = Buffer.from(request.digest?.[this.hash] as Uint8Array);
    const message = this.messages.get(digest.toString("hex"));
    if (!message) throw new Error("fake KMS: digest of no announced message");
    const signature = sign(this.hash, message, this.privateKey);
    return [
      {
        name: this.name,
        signature,
        signatureCrc32c: { value: crc32c(signature) },
        verifiedDigestCrc32c: Number(request.digestCrc32c?.value) === crc32c(digest),
      },
    ];
  }
}

function randomName(): string {
  return createHash("sha256").update(String(Math.random())).digest("hex").slice(0, 8);
}
