import { describe, expect, it } from "vitest";
import { SigningKeys, type SigningKeysProps } from "../../src/gcp/kms.ts";
import { resourcesOf, synthConstruct } from "./support.ts";

const props: SigningKeysProps = {
  project: "signet-staging",
  location: "europe-west1",
  keyRingName: "signet-staging",
  protectionLevel: "SOFTWARE",
};

function synth(overrides: Partial<SigningKeysProps> = {}, grant?: (keys: SigningKeys) => void) {
  return synthConstruct((scope) => {
    const keys = new SigningKeys(scope, "kms", { ...props, ...overrides });
    grant?.(keys);
  });
}

/** The arguments of a synthesized `google_kms_crypto_key` these tests read, with its logical id. */
interface CryptoKey {
  id: string;
  name: string;
  purpose: string;
  key_ring: string;
  version_template: { algorithm: string; protection_level: string };
  destroy_scheduled_duration: string;
  lifecycle: unknown;
}

const keysByName = (doc: ReturnType<typeof synth>): Record<string, CryptoKey> =>
  Object.fromEntries(
    resourcesOf(doc, "google_kms_crypto_key").map(([id, key]) => [
      key.name,
      { id, ...key } as unknown as CryptoKey,
    ]),
  );

describe("SigningKeys", () => {
  const doc = synth();
  const keys = keysByName(doc);

  it("creates one asymmetric signing key per signer in one regional key ring", () => {
    const [[ringId, ring]] = resourcesOf(doc, "google_kms_key_ring") as [[string, unknown]];
    expect(ring).toMatchObject({
      name: "signet-staging",
      location: "europe-west1",
      project: "signet-staging",
    });
    expect(resourcesOf(doc, "google_kms_key_ring")).toHaveLength(1);
    expect(Object.keys(keys).sort()).toEqual(["ca", "ctlog", "log", "tsa", "tuf"]);
    for (const key of Object.values(keys)) {
      expect(key.purpose).toBe("ASYMMETRIC_SIGN");
      expect(key.key_ring).toBe(`\${google_kms_key_ring.${ringId}.id}`);
    }
  });

  it("signs log, CT log and TUF with P-256/SHA-256, the CA and TSA with P-384/SHA-384", () => {
    const algorithms = Object.fromEntries(
      Object.entries(keys).map(([name, key]) => [name, key.version_template.algorithm]),
    );
    expect(algorithms).toEqual({
      ca: "EC_SIGN_P384_SHA384",
      log: "EC_SIGN_P256_SHA256",
      ctlog: "EC_SIGN_P256_SHA256",
      tsa: "EC_SIGN_P384_SHA384",
      tuf: "EC_SIGN_P256_SHA256",
    });
  });

  it("never lets Terraform destroy a key, and never rotates one behind TUF's back", () => {
    for (const key of Object.values(keys)) {
      expect(key.lifecycle).toEqual({ prevent_destroy: true });
      expect(key).not.toHaveProperty("rotation_period");
      expect(key.destroy_scheduled_duration).toBe("2592000s");
    }
  });

  it("uses the protection level the props ask for", () => {
    for (const key of Object.values(keys)) expect(key.version_template.protection_level).toBe("SOFTWARE");
    for (const key of Object.values(keysByName(synth({ protectionLevel: "HSM" })))) {
      expect(key.version_template.protection_level).toBe("HSM");
    }
  });

  it("grants signerVerifier on the named key only", () => {
    const granted = synth({}, (k) => {
      k.grantSigner("log", "serviceAccount:log@signet-staging.iam.gserviceaccount.com");
      k.grantSigner("ctlog", "serviceAccount:log@signet-staging.iam.gserviceaccount.com");
      k.grantSigner("tuf", "serviceAccount:tuf@signet-staging.iam.gserviceaccount.com");
    });
    const ids = keysByName(granted);
    const grants = resourcesOf(granted, "google_kms_crypto_key_iam_member").map(([, g]) => g);
    expect(grants).toHaveLength(3);
    for (const grant of grants) expect(grant.role).toBe("roles/cloudkms.signerVerifier");
    const keyOf = (id: unknown) =>
      Object.entries(ids).find(([, key]) => id === `\${google_kms_crypto_key.${key.id}.id}`)?.[0];
    expect(grants.map((g) => `${keyOf(g.crypto_key_id)} ${g.member}`).sort()).toEqual([
      "ctlog serviceAccount:log@signet-staging.iam.gserviceaccount.com",
      "log serviceAccount:log@signet-staging.iam.gserviceaccount.com",
      "tuf serviceAccount:tuf@signet-staging.iam.gserviceaccount.com",
    ]);
    expect(resourcesOf(granted, "google_kms_key_ring_iam_member")).toHaveLength(0);
    expect(resourcesOf(granted, "google_project_iam_member")).toHaveLength(0);
  });

  it("lets one key have several signers when each grant is named", () => {
    const granted = synth({}, (k) => {
      k.grantSigner("tuf", "serviceAccount:a@p.iam.gserviceaccount.com", "tuf-a");
      k.grantSigner("tuf", "serviceAccount:b@p.iam.gserviceaccount.com", "tuf-b");
    });
    expect(resourcesOf(granted, "google_kms_crypto_key_iam_member")).toHaveLength(2);
  });
});
