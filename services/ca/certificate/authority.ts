import { X509Certificate } from "node:crypto";
import { ConfigError } from "../../common/config.ts";
import type { Signer } from "../../common/signer/types.ts";
import type { Principal } from "../identity/types.ts";
import { childrenOf, readElement } from "./der.ts";
import { ctPoison, ctSctList, findKeyIdentifier, keyIdentifier } from "./extensions.ts";
import { leafFields } from "./profile.ts";
import { randomSerialNumber, signCertificate, tbsCertificate, wholeSeconds } from "./tbs.ts";

export interface CertificateAuthorityOptions {
  /** The issuing CA's key, local or in Cloud KMS. */
  signer: Signer;
  /** DER certificates, issuing CA first, root last. */
  chain: Buffer[];
  /** Leaf lifetime; Fulcio's is 10 minutes. */
  validityMinutes?: number;
}

/**
 * Submits a precertificate chain (precertificate first) to a CT log and returns the extnValue
 * content of the SCT-list extension to embed (RFC 6962 §3.3).
 */
export type SctEmbedder = (precertChain: Buffer[]) => Promise<Buffer>;

/** Issues Fulcio-profile code-signing certificates under one issuing CA certificate. */
export class CertificateAuthority {
  readonly chain: Buffer[];
  private readonly signer: Signer;
  private readonly issuer: Buffer;
  private readonly issuerKeyIdentifier: Buffer;
  private readonly issuerNotAfter: Date;
  private readonly validityMs: number;

  constructor(options: CertificateAuthorityOptions) {
    const issuing = checkChain(options.chain, options.signer);
    const der = options.chain[0] as Buffer;
    this.chain = options.chain;
    this.signer = options.signer;
    this.issuer = subjectOf(der);
    this.issuerKeyIdentifier = findKeyIdentifier(der) ?? keyIdentifier(options.signer.spki);
    this.issuerNotAfter = issuing.validToDate;
    this.validityMs = (options.validityMinutes ?? 10) * 60_000;
  }

  /**
   * The leaf certificate for `principal` and the client's key. With `embed`, first a
   * precertificate (RFC 6962 §3.1: the same TBSCertificate with the critical poison extension
   * last) goes to the CT log, and the final certificate carries the returned SCT list in the
   * poison's place, so a verifier that removes it rebuilds exactly what the log signed.
   */
  async issue(principal: Principal, subjectSpki: Buffer, embed?: SctEmbedder): Promise<Buffer> {
    const notBefore = wholeSeconds(new Date());
    const notAfter = new Date(notBefore.getTime() + this.validityMs);
    if (notAfter > this.issuerNotAfter) {
      throw new Error(`the issuing CA certificate expires at ${this.issuerNotAfter.toISOString()}`);
    }
    const fields = leafFields({
      principal,
      spki: subjectSpki,
      issuer: this.issuer,
      issuerKeyIdentifier: this.issuerKeyIdentifier,
      notBefore,
      notAfter,
    });
    const serial = randomSerialNumber();
    const tbs = (last: Buffer[]) =>
      tbsCertificate(
        { ...fields, extensions: [...fields.extensions, ...last] },
        serial,
        this.signer.algorithm,
      );
    if (!embed) return signCertificate(tbs([]), this.signer);
    const precertificate = await signCertificate(tbs([ctPoison]), this.signer);
    const sctList = await embed([precertificate, ...this.chain]);
    return signCertificate(tbs([ctSctList(sctList)]), this.signer);
  }
}

/**
 * Fulcio's VerifyCertChain: the issuing certificate is a CA for the signer's key, and each
 * certificate is signed by the next.
 */
function checkChain(chain: readonly Buffer[], signer: Signer): X509Certificate {
  const certificates = chain.map((der) => new X509Certificate(der));
  const [issuing] = certificates;
  if (!issuing) throw new ConfigError("the CA certificate chain holds no certificate");
  if (!issuing.ca)
    throw new ConfigError("the issuing CA certificate is not a CA (basicConstraints CA:FALSE)");
  if (!issuing.publicKey.export({ type: "spki", format: "der" }).equals(signer.spki)) {
    throw new ConfigError("the issuing CA certificate is for another key than the CA signing key");
  }
  certificates.forEach((certificate, position) => {
    const parent = certificates[position + 1] ?? certificate;
    if (!certificate.checkIssued(parent) || !certificate.verify(parent.publicKey)) {
      throw new ConfigError(`the CA certificate chain is broken at certificate ${position}`);
    }
  });
  return issuing;
}

/** The DER subject Name of a certificate (RFC 5280 §4.1: the sixth TBSCertificate field of a v3 certificate). */
function subjectOf(certificate: Buffer): Buffer {
  const tbs = childrenOf(certificate, readElement(certificate, 0))[0];
  const subject = tbs && childrenOf(certificate, tbs)[5];
  if (!subject) throw new ConfigError("the issuing CA certificate has no subject");
  return certificate.subarray(subject.start, subject.end);
}
