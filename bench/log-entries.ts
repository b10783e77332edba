// Valid hashedrekord 0.0.1 entries as sigstore clients send them: a Fulcio-shaped X.509
// certificate (email SAN, OIDC issuer extensions) and an ECDSA P-256 signature over the artifact,
// whose SHA-256 digest is what the entry names.
import { createHash, type KeyObject, randomBytes, sign } from "node:crypto";
import { createCa, issueLeaf, type TestCertificate } from "../__tests__/support/pki.ts";
import { jcs } from "../services/log/entries/jcs.ts";

export interface Signers {
  certificates: TestCertificate[];
  /** base64 of each certificate's PEM: the `publicKey.content` clients send. */
  contents: string[];
}

export async function createSigners(count: number): Promise<Signers> {
  const ca = await createCa({ commonName: "bench fulcio", organization: "signet bench" });
  const certificates: TestCertificate[] = [];
  for (let i = 0; i < count; i++) {
    certificates.push(
      await issueLeaf(ca, {
        email: `signer-${i}@bench.example`,
        oidcIssuer: "https://oauth2.bench.example/auth",
        notAfter: new Date(Date.now() + 24 * 3_600_000),
      }),
    );
  }
  return { certificates, contents: certificates.map((c) => Buffer.from(c.pem).toString("base64")) };
}

export interface SignedArtifact {
  /** Hex SHA-256 of the artifact. */
  digest: string;
  /** base64 DER ECDSA signature over the artifact. */
  signature: string;
}

/** A fresh random artifact, signed as sigstore-js signs a blob: ECDSA over its SHA-256. */
export function signArtifact(signer: KeyObject | { sign(message: Buffer): Buffer }): SignedArtifact {
  const artifact = randomBytes(48);
  const signature = "sign" in signer ? signer.sign(artifact) : sign("sha256", artifact, signer);
  return {
    digest: createHash("sha256").update(artifact).digest("hex"),
    signature: signature.toString("base64"),
  };
}

function hashedRekord(signed: SignedArtifact, content: string) {
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: signed.digest } },
      signature: { content: signed.signature, publicKey: { content } },
    },
  };
}

/** The POST /api/v1/log/entries body. */
export function proposalOf(signed: SignedArtifact, content: string): Buffer {
  return Buffer.from(JSON.stringify(hashedRekord(signed, content)));
}

/**
 * The leaf the log stores for that proposal: JCS of the same object, since a PEM certificate as
 * Go writes it (64-column lines) is already Rekor's canonical form of itself.
 */
export function canonicalBodyOf(signed: SignedArtifact, content: string): Buffer {
  return jcs(hashedRekord(signed, content));
}

/** One proposal: a fresh artifact signed by `signers[index % count]` (round robin). */
export function proposal(signers: Signers, index: number): Buffer {
  const which = index % signers.certificates.length;
  const certificate = signers.certificates[which] as TestCertificate;
  return proposalOf(signArtifact(certificate.key.privateKey), signers.contents[which] as string);
}
