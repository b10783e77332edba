import { createHash } from "node:crypto";
import { PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { beforeAll, describe, expect, it } from "vitest";
import { TrustError } from "../../../services/trust/errors.ts";
import { reconcile, rotate } from "../../../services/trust/rotation.ts";
import {
  type AuthorityDescription,
  buildTrustedRoot,
  type InstanceDescription,
  keyDetailsOf,
  type TrustedRootJson,
} from "../../../services/trust/trusted-root.ts";
import { createCa, generateKey, type TestCertificate } from "../../support/pki.ts";

const start = new Date("2025-01-01T00:00:00.500Z");
const rotation = new Date("2026-03-01T00:00:00Z");
const later = new Date("2026-09-01T00:00:00Z");
const rekorKey = generateKey();
const ctKey = generateKey();
let root: TestCertificate;
let intermediate: TestCertificate;
let tsaRoot: TestCertificate;
let instance: InstanceDescription;
let ca: AuthorityDescription;
let tsa: AuthorityDescription;

beforeAll(async () => {
  root = await createCa({ commonName: "signet-root", key: generateKey("ecdsa-p384") });
  intermediate = await createCa({ commonName: "signet-intermediate", issuer: root });
  tsaRoot = await createCa({ commonName: "signet-tsa" });
  ca = {
    uri: "https://ca.signet.test",
    subject: { organization: "Signet", commonName: "signet" },
    chain: [intermediate.der, root.der],
    validFor: { start },
  };
  tsa = {
    uri: "https://tsa.signet.test/api/v1/timestamp",
    subject: { organization: "Signet", commonName: "signet-tsa" },
    chain: [tsaRoot.der],
    validFor: { start, end: new Date("2030-01-01T00:00:00Z") },
  };
  instance = {
    tlogs: [{ baseUrl: "https://rekor.signet.test", spki: rekorKey.spki, validFor: { start } }],
    ctlogs: [{ baseUrl: "https://ct.signet.test/2025", spki: ctKey.spki, validFor: { start } }],
    certificateAuthorities: [ca],
    timestampAuthorities: [tsa],
  };
});

/** What @sigstore/verify builds from the root: it throws on anything it cannot use. */
const trustMaterialOf = (json: TrustedRootJson) => toTrustMaterial(TrustedRoot.fromJSON(json));

describe("buildTrustedRoot", () => {
  it("builds a trusted root @sigstore/verify accepts, with every authority in it", () => {
    const json = buildTrustedRoot(instance);
    const material = trustMaterialOf(json);

    expect(json.mediaType).toBe("application/vnd.dev.sigstore.trustedroot+json;version=0.1");
    expect(material.tlogs[0]?.baseURL).toBe("https://rekor.signet.test");
    expect(material.tlogs[0]?.logID).toEqual(createHash("sha256").update(rekorKey.spki).digest());
    expect(material.ctlogs[0]?.publicKey.export({ type: "spki", format: "der" })).toEqual(ctKey.spki);
    expect(material.certificateAuthorities[0]?.certChain.map((c) => c.root.toDER())).toEqual([
      intermediate.der,
      root.der,
    ]);
    expect(material.timestampAuthorities[0]?.validFor.end).toEqual(new Date("2030-01-01T00:00:00Z"));
  });

  it("writes the wire form sigstore clients read", () => {
    const json = buildTrustedRoot(instance);

    expect(json.tlogs[0]).toEqual({
      baseUrl: "https://rekor.signet.test",
      hashAlgorithm: "SHA2_256",
      publicKey: {
        rawBytes: rekorKey.spki.toString("base64"),
        keyDetails: "PKIX_ECDSA_P256_SHA_256",
        validFor: { start: "2025-01-01T00:00:00Z" },
      },
      logId: { keyId: createHash("sha256").update(rekorKey.spki).digest("base64") },
    });
    expect(json.timestampAuthorities[0]?.validFor).toEqual({
      start: "2025-01-01T00:00:00Z",
      end: "2030-01-01T00:00:00Z",
    });
    const parsed = TrustedRoot.fromJSON(json);
    expect(parsed.tlogs[0]?.publicKey?.keyDetails).toBe(PublicKeyDetails.PKIX_ECDSA_P256_SHA_256);
    expect(parsed.timestampAuthorities[0]?.validFor?.end).toEqual(new Date("2030-01-01T00:00:00Z"));
  });

  it("names each key's algorithm", () => {
    expect(keyDetailsOf(generateKey("ecdsa-p256").spki)).toBe("PKIX_ECDSA_P256_SHA_256");
    expect(keyDetailsOf(generateKey("ecdsa-p384").spki)).toBe("PKIX_ECDSA_P384_SHA_384");
    expect(keyDetailsOf(generateKey("ecdsa-p521").spki)).toBe("PKIX_ECDSA_P521_SHA_512");
    expect(keyDetailsOf(generateKey("ed25519").spki)).toBe("PKIX_ED25519");
  });

  it("refuses RSA keys, which sigstore-js and the spec read differently, and bytes that are no key", () => {
    for (const spki of [generateKey("rsa-2048").spki, Buffer.from("not a key")]) {
      let caught: unknown;
      try {
        keyDetailsOf(spki);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TrustError);
      expect((caught as TrustError).code).toBe("TRUSTED_ROOT_KEY_UNSUPPORTED");
    }
  });
});

describe("rotate", () => {
  const newLog = () => ({ baseUrl: "https://rekor.signet.test", spki: generateKey().spki });

  it("ends the current entry at the rotation and adds the new one from there", () => {
    const before = buildTrustedRoot(instance);
    const replacement = newLog();

    const after = rotate(before, "tlogs", replacement, rotation);

    expect(after.tlogs.map((log) => log.publicKey.validFor)).toEqual([
      { start: "2025-01-01T00:00:00Z", end: "2026-03-01T00:00:00Z" },
      { start: "2026-03-01T00:00:00Z" },
    ]);
    expect(after.tlogs[0]?.publicKey.rawBytes).toBe(rekorKey.spki.toString("base64"));
    expect(after.tlogs[1]?.publicKey.rawBytes).toBe(replacement.spki.toString("base64"));
    expect(after.ctlogs).toEqual(before.ctlogs);
    expect(before.tlogs).toHaveLength(1);
    expect(trustMaterialOf(after).tlogs).toHaveLength(2);
  });

  it("keeps every earlier entry and its window through successive rotations", () => {
    const once = rotate(buildTrustedRoot(instance), "tlogs", newLog(), rotation);
    const twice = rotate(once, "tlogs", newLog(), later);

    expect(twice.tlogs[0]).toEqual(once.tlogs[0]);
    expect(twice.tlogs.map((log) => log.publicKey.validFor)).toEqual([
      { start: "2025-01-01T00:00:00Z", end: "2026-03-01T00:00:00Z" },
      { start: "2026-03-01T00:00:00Z", end: "2026-09-01T00:00:00Z" },
      { start: "2026-09-01T00:00:00Z" },
    ]);
  });

  it("rotates a CA to a new chain, keeping the old chain for old certificates", async () => {
    const newIntermediate = await createCa({ commonName: "signet-intermediate-2", issuer: root });
    const renewed = { ...ca, chain: [newIntermediate.der, root.der] };

    const after = rotate(buildTrustedRoot(instance), "certificateAuthorities", renewed, rotation);

    expect(after.certificateAuthorities.map((entry) => entry.validFor)).toEqual([
      { start: "2025-01-01T00:00:00Z", end: "2026-03-01T00:00:00Z" },
      { start: "2026-03-01T00:00:00Z" },
    ]);
    expect(trustMaterialOf(after).certificateAuthorities).toHaveLength(2);
  });

  it("leaves an entry that already ended as it was", async () => {
    const newTsa = async (commonName: string) => ({ ...tsa, chain: [(await createCa({ commonName })).der] });
    const after = rotate(buildTrustedRoot(instance), "timestampAuthorities", await newTsa("tsa-2"), later);
    const end = new Date("2031-01-01T00:00:00Z");
    const afterEnd = rotate(after, "timestampAuthorities", await newTsa("tsa-3"), end);

    expect(afterEnd.timestampAuthorities.map((entry) => entry.validFor)).toEqual([
      { start: "2025-01-01T00:00:00Z", end: "2026-09-01T00:00:00Z" },
      { start: "2026-09-01T00:00:00Z", end: "2031-01-01T00:00:00Z" },
      { start: "2031-01-01T00:00:00Z" },
    ]);
  });

  it("refuses a rotation before the current entry started, and a key already trusted", () => {
    const built = buildTrustedRoot(instance);
    const codes = [
      () => rotate(built, "tlogs", newLog(), new Date("2024-01-01T00:00:00Z")),
      () => rotate(built, "tlogs", { baseUrl: "https://rekor.signet.test", spki: rekorKey.spki }, rotation),
    ].map((attempt) => {
      try {
        attempt();
      } catch (error) {
        return (error as TrustError).code;
      }
      return "accepted";
    });
    expect(codes).toEqual(["TRUSTED_ROOT_ROTATION_INVALID", "TRUSTED_ROOT_ROTATION_INVALID"]);
  });
});

describe("reconcile", () => {
  it("returns the published root itself when the instance did not change", () => {
    const published = buildTrustedRoot(instance);

    expect(reconcile(published, instance, later)).toBe(published);
  });

  it("rotates only the kinds whose keys changed", () => {
    const published = buildTrustedRoot(instance);
    const newCt = {
      baseUrl: "https://ct.signet.test/2026",
      spki: generateKey().spki,
      validFor: { start: later },
    };

    const after = reconcile(published, { ...instance, ctlogs: [newCt] }, rotation);

    expect(after.tlogs).toEqual(published.tlogs);
    expect(after.ctlogs.map((log) => [log.baseUrl, log.publicKey.validFor])).toEqual([
      ["https://ct.signet.test/2025", { start: "2025-01-01T00:00:00Z", end: "2026-03-01T00:00:00Z" }],
      ["https://ct.signet.test/2026", { start: "2026-03-01T00:00:00Z" }],
    ]);
  });

  it("builds from the description when nothing was published", () => {
    expect(reconcile(undefined, instance, later)).toEqual(buildTrustedRoot(instance));
  });
});
