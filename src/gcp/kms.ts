import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key/index.js";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member/index.js";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring/index.js";
import { Construct } from "constructs";

export type SigningKeyName = "ca" | "log" | "ctlog" | "tsa" | "tuf";

/**
 * The algorithm of each signer. Clients verify log checkpoints, signed entry timestamps and SCTs
 * with ECDSA P-256 over SHA-256, and TUF online-role signatures the same way; the CA and the TSA
 * use P-384 as the public good Fulcio and timestamp authority do.
 */
export const signingKeyAlgorithms: Readonly<Record<SigningKeyName, string>> = {
  ca: "EC_SIGN_P384_SHA384",
  log: "EC_SIGN_P256_SHA256",
  ctlog: "EC_SIGN_P256_SHA256",
  tsa: "EC_SIGN_P384_SHA384",
  tuf: "EC_SIGN_P256_SHA256",
};

export interface SigningKeysProps {
  project: string;
  /** The region: signing latency is on every request's path, so keys live beside the cluster. */
  location: string;
  keyRingName: string;
  protectionLevel: "SOFTWARE" | "HSM";
}

// A scheduled destruction can be cancelled during this window; a month leaves time to notice a
// mistaken one before the private key is gone for good.
const destroyScheduledDuration = `${30 * 24 * 3600}s`;

/**
 * One key ring holding an asymmetric signing key per signer. There is deliberately no
 * `rotation_period`: verifiers trust a key because the TUF trusted root lists it with a validity
 * window, so a new key version is introduced through a root update, never by KMS on a timer.
 */
export class SigningKeys extends Construct {
  readonly keyRing: KmsKeyRing;
  readonly keys: Record<SigningKeyName, KmsCryptoKey>;

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    this.keyRing = new KmsKeyRing(this, "ring", {
      project: props.project,
      location: props.location,
      name: props.keyRingName,
    });
    const key = (name: SigningKeyName) =>
      new KmsCryptoKey(this, name, {
        name,
        keyRing: this.keyRing.id,
        purpose: "ASYMMETRIC_SIGN",
        versionTemplate: { algorithm: signingKeyAlgorithms[name], protectionLevel: props.protectionLevel },
        destroyScheduledDuration,
        labels: { signer: name },
        // A replacement key is trusted only after a TUF root update: Terraform must never make one.
        lifecycle: { preventDestroy: true },
      });
    this.keys = { ca: key("ca"), log: key("log"), ctlog: key("ctlog"), tsa: key("tsa"), tuf: key("tuf") };
  }

  /** Lets `member` sign with, and read the public key of, the one key `name`. */
  grantSigner(name: SigningKeyName, member: string, id = `${name}-signer`): KmsCryptoKeyIamMember {
    return new KmsCryptoKeyIamMember(this, id, {
      cryptoKeyId: this.keys[name].id,
      role: "roles/cloudkms.signerVerifier",
      member,
    });
  }
}
