import { randomBytes } from "node:crypto";
import { bundleFromJSON, bundleToJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import {
  type Bundle,
  DSSEBundleBuilder,
  MessageSignatureBundleBuilder,
  RekorWitness,
  type Signer,
  TSAWitness,
} from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueLeaf, type TestCertificate } from "../../support/pki.ts";
import { trustedRootJson } from "../../support/trusted-root.ts";
import { type RunningLog, startLog } from "./support.ts";

const issuer = "https://oidc.signet.test";
const identity = "alice@signet.test";

let log: RunningLog;
let leaf: TestCertificate;
let verifier: Verifier;

// The client's signer: a throwaway key with a Fulcio-shaped certificate, as FulcioSigner would return.
const signer = (): Signer => ({
  sign: async (data) => ({
    signature: leaf.key.sign(data),
    key: { $case: "x509Certificate", certificate: leaf.pem },
  }),
});

beforeAll(async () => {
  log = await startLog();
  leaf = await issueLeaf(log.ca, { email: identity, oidcIssuer: issuer });
  const tsaChain = log.service.tsaChain;
  const root = trustedRootJson({
    rekorUrl: log.url,
    logSpki: log.service.identity.signer.spki,
    caChain: [log.ca.der],
    tsaChain,
    tsaUrl: `${log.url}/api/v1/timestamp`,
  });
  // Certificates here carry no SCT (the CA issue adds them), so CT is not required.
  verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(root)), {
    tlogThreshold: 1,
    ctlogThreshold: 0,
    timestampThreshold: 2,
  });
});

afterAll(() => log.close());

/** What a verifier downstream receives: the bundle serialized and read back. */
const roundTrip = (bundle: Bundle) => bundleFromJSON(bundleToJSON(bundle));
const policy = { subjectAlternativeName: identity, extensions: { issuer } };

describe("the sigstore client against the log and TSA", () => {
  it("signs a blob (hashedrekord) and the bundle verifies with the SET, the inclusion proof and a TSA timestamp", async () => {
    const artifact = randomBytes(64);
    const builder = new MessageSignatureBundleBuilder({
      signer: signer(),
      witnesses: [new RekorWitness({ rekorBaseURL: log.url }), new TSAWitness({ tsaBaseURL: log.url })],
    });
    const bundle = roundTrip(await builder.create({ data: artifact }));
    const [entry] = bundle.verificationMaterial.tlogEntries;
    expect(entry?.kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.1" });
    expect(entry?.inclusionProof?.checkpoint?.envelope).toContain("127.0.0.1 - ");
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    const signerInfo = verifier.verify(toSignedEntity(bundle, artifact), policy);
    expect(signerInfo.identity?.subjectAlternativeName).toBe(identity);
  });

  it.each(["dsse", "intoto"] as const)("attests (%s) and the bundle verifies", async (entryType) => {
    const payload = Buffer.from(
      JSON.stringify({ _type: "https://in-toto.io/Statement/v1", nonce: randomBytes(8).toString("hex") }),
    );
    const builder = new DSSEBundleBuilder({
      signer: signer(),
      witnesses: [
        new RekorWitness({ rekorBaseURL: log.url, entryType }),
        new TSAWitness({ tsaBaseURL: log.url }),
      ],
    });
    const bundle = roundTrip(await builder.create({ data: payload, type: "application/vnd.in-toto+json" }));
    expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind).toBe(entryType);
    expect(() => verifier.verify(toSignedEntity(bundle), policy)).not.toThrow();
  });

  it("rejects a bundle whose artifact was swapped", async () => {
    const builder = new MessageSignatureBundleBuilder({
      signer: signer(),
      witnesses: [new RekorWitness({ rekorBaseURL: log.url }), new TSAWitness({ tsaBaseURL: log.url })],
    });
    const bundle = roundTrip(await builder.create({ data: Buffer.from("original") }));
    expect(() => verifier.verify(toSignedEntity(bundle, Buffer.from("swapped")), policy)).toThrow();
  });
});
