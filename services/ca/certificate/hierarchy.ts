import type { Signer } from "../../common/signer/types.ts";
import {
  authorityKeyIdentifier,
  caBasicConstraints,
  extendedKeyUsage,
  keyIdentifier,
  keyUsage,
  keyUsageBit,
  oids,
  subjectKeyIdentifier,
} from "./extensions.ts";
import {
  distinguishedName,
  randomSerialNumber,
  signCertificate,
  tbsCertificate,
  wholeSeconds,
} from "./tbs.ts";

export interface CaHierarchyOptions {
  rootSigner: Signer;
  /** The key the CA service signs leaves with. */
  intermediateSigner: Signer;
  /** Both certificates carry O=<organization>; the root CN=<commonName>, the intermediate CN=<commonName>-intermediate. */
  subject: { organization: string; commonName: string };
  /** Certificate-specification.md suggests 10 years for a root and 3 for an intermediate. */
  rootYears?: number;
  intermediateYears?: number;
  now?: Date;
}

// Backdated so a verifier whose clock runs a little behind still sees the chain as valid.
const clockSkewMs = 60 * 60 * 1000;
const caUsage = [keyUsageBit.keyCertSign, keyUsageBit.cRLSign];

/**
 * A root and an intermediate as Fulcio's certificate-specification.md and certificate_maker
 * templates define them, both signed by the root signer. Returns DER, intermediate first.
 *
 * Root: self-signed, keyCertSign|cRLSign, CA:TRUE pathlen 1, no EKU. Intermediate: issued by the
 * root, keyCertSign|cRLSign, EKU codeSigning (Fulcio's VerifyCertChain requires it for EKU
 * chaining), CA:TRUE pathlen 0, AKI = the root's SKI, and no longer-lived than the root.
 */
export async function issueCaHierarchy(options: CaHierarchyOptions): Promise<[Buffer, Buffer]> {
  const { rootSigner, intermediateSigner, subject } = options;
  const notBefore = wholeSeconds(new Date((options.now ?? new Date()).getTime() - clockSkewMs));
  const rootNotAfter = yearsAfter(notBefore, options.rootYears ?? 10);
  const intermediateNotAfter = new Date(
    Math.min(yearsAfter(notBefore, options.intermediateYears ?? 3).getTime(), rootNotAfter.getTime()),
  );
  const rootName = distinguishedName(subject.organization, subject.commonName);

  const root = tbsCertificate(
    {
      issuer: rootName,
      subject: rootName,
      spki: rootSigner.spki,
      notBefore,
      notAfter: rootNotAfter,
      extensions: [keyUsage(caUsage), caBasicConstraints(1), subjectKeyIdentifier(rootSigner.spki)],
    },
    randomSerialNumber(),
    rootSigner.algorithm,
  );
  const intermediate = tbsCertificate(
    {
      issuer: rootName,
      subject: distinguishedName(subject.organization, `${subject.commonName}-intermediate`),
      spki: intermediateSigner.spki,
      notBefore,
      notAfter: intermediateNotAfter,
      extensions: [
        keyUsage(caUsage),
        extendedKeyUsage([oids.codeSigning]),
        caBasicConstraints(0),
        subjectKeyIdentifier(intermediateSigner.spki),
        authorityKeyIdentifier(keyIdentifier(rootSigner.spki)),
      ],
    },
    randomSerialNumber(),
    rootSigner.algorithm,
  );
  return [await signCertificate(intermediate, rootSigner), await signCertificate(root, rootSigner)];
}

function yearsAfter(date: Date, years: number): Date {
  const later = new Date(date);
  later.setUTCFullYear(later.getUTCFullYear() + years);
  return later;
}
