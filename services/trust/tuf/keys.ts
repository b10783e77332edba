import { createHash, type KeyObject } from "node:crypto";
import { canonicalize } from "@tufjs/canonical-json";
import { Key, type Metadata, Signature } from "@tufjs/models";
import type { Signer } from "../../common/signer/index.ts";
import { TrustError } from "../errors.ts";
import type { RoleMetadata } from "./roles.ts";

// TUF spec §4.2 key types: ECDSA with the public key as PEM SPKI, the form tuf-js and
// python-tuf both verify (`ecdsa` key type, scheme naming curve and hash).
const schemes: Record<string, string> = {
  prime256v1: "ecdsa-sha2-nistp256",
  secp384r1: "ecdsa-sha2-nistp384",
};

/** A public key as TUF metadata names it; its ID is SHA-256 of its canonical JSON (§4.2). */
export function tufKey(publicKey: KeyObject): Key {
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  const scheme = publicKey.asymmetricKeyType === "ec" && curve ? schemes[curve] : undefined;
  if (!scheme) {
    throw new TrustError("TUF_KEY_UNSUPPORTED", "TUF keys must be ECDSA on P-256 or P-384");
  }
  const keyVal = { public: publicKey.export({ type: "spki", format: "pem" }) as string };
  const unidentified = new Key({ keyID: "", keyType: "ecdsa", scheme, keyVal });
  const keyID = createHash("sha256").update(canonicalize(unidentified.toJSON())).digest("hex");
  return new Key({ keyID, keyType: "ecdsa", scheme, keyVal });
}

/**
 * Replaces the signatures on `metadata` with one per signer over the canonical JSON of its
 * signed part (TUF spec §4.1, OLPC canonical JSON as tuf-js verifies it). Signers are async
 * (a KMS call), which the models' own synchronous `sign` cannot await.
 */
export async function signMetadata(
  metadata: Metadata<RoleMetadata>,
  signers: readonly Signer[],
): Promise<void> {
  const payload = Buffer.from(canonicalize(metadata.signed.toJSON()));
  const signatures = await Promise.all(
    signers.map(async (signer) => {
      const keyID = tufKey(signer.publicKey).keyID;
      return new Signature({ keyID, sig: (await signer.sign(payload)).toString("hex") });
    }),
  );
  metadata.signatures = Object.fromEntries(signatures.map((signature) => [signature.keyID, signature]));
}
