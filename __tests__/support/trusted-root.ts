import { createHash } from "node:crypto";

export interface TrustedRootInput {
  /** Base URL of the log; clients require it to contain the checkpoint signer's name. */
  rekorUrl: string;
  logSpki: Buffer;
  /** DER certificates of the code-signing CA, issuing CA first, root last. */
  caChain: Buffer[];
  caUrl?: string;
  /** DER certificates of the TSA, signing leaf first, root last. */
  tsaChain?: Buffer[];
  tsaUrl?: string;
  ctlog?: { url: string; spki: Buffer };
}

const validFor = { start: "2020-01-01T00:00:00Z" };
const keyId = (spki: Buffer) => createHash("sha256").update(spki).digest("base64");
const transparencyLog = (baseUrl: string, spki: Buffer) => ({
  baseUrl,
  hashAlgorithm: "SHA2_256",
  publicKey: { rawBytes: spki.toString("base64"), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor },
  logId: { keyId: keyId(spki) },
});
const chain = (certificates: Buffer[]) => ({
  certificates: certificates.map((c) => ({ rawBytes: c.toString("base64") })),
});

/** A Sigstore trusted root (protobuf-specs TrustedRoot, JSON form) naming the test instance. */
export function trustedRootJson(input: TrustedRootInput): Record<string, unknown> {
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [transparencyLog(input.rekorUrl, input.logSpki)],
    certificateAuthorities: [
      {
        subject: { organization: "signet-test", commonName: "signet-test-ca" },
        uri: input.caUrl ?? "https://ca.invalid",
        certChain: chain(input.caChain),
        validFor,
      },
    ],
    ctlogs: input.ctlog ? [transparencyLog(input.ctlog.url, input.ctlog.spki)] : [],
    timestampAuthorities: input.tsaChain
      ? [
          {
            subject: { organization: "signet-test", commonName: "signet-test-tsa" },
            uri: input.tsaUrl ?? "https://tsa.invalid",
            certChain: chain(input.tsaChain),
            validFor,
          },
        ]
      : [],
  };
}
