import { X509Certificate } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { readIfPresent } from "../../common/files.ts";
import { certificatesFromPem } from "../../common/pem.ts";
import { ephemeralSigner } from "../../common/signer/local.ts";
import type { Signer } from "../../common/signer/types.ts";
import {
  basicConstraints,
  distinguishedName,
  extendedKeyUsage,
  ID_KP_TIME_STAMPING,
  issueCertificate,
  KeyUsageBit,
  keyUsage,
} from "./certificates.ts";

export interface TsaChain {
  /** PEM certificates, TSA leaf first, then the root. */
  pem: string;
  /** The same certificates in DER, same order. */
  der: Buffer[];
}

export interface CreateTsaChainOptions {
  /** The TSA's signing key: the leaf certifies it. */
  signer: Signer;
  /** The root CA's key (a file or Cloud KMS); a throwaway one on the signer's curve when absent. */
  rootSigner?: Signer;
  /** Subject organization and the TSA leaf's common name; the root's is "<commonName> Root". */
  subject?: { organization: string; commonName: string };
}

const VALIDITY_YEARS = 10;
// Backdated so a verifier whose clock runs a little behind still sees the chain as valid.
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const LOCAL_SUBJECT = { organization: "Signet", commonName: "Signet Local Timestamp Authority" };

/**
 * A TSA chain: a self-signed root CA, and a leaf for the signer's key that may only stamp time
 * (RFC 3161 §2.3: critical EKU id-kp-timeStamping, alone). Both share one validity window, as
 * verifiers check every certificate of the path at the stamped time. Local mode makes one with a
 * throwaway root; `tsa init` (tsa/init.ts) with the configured root and TSA signers.
 */
export async function createTsaChain(options: CreateTsaChainOptions): Promise<TsaChain> {
  const rootSigner = options.rootSigner ?? ephemeralSigner(options.signer.algorithm);
  const { organization, commonName } = options.subject ?? LOCAL_SUBJECT;
  const rootName = distinguishedName(organization, `${commonName} Root`);
  const notBefore = new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const common = {
    issuer: rootName,
    issuerSpki: rootSigner.spki,
    notBefore,
    notAfter,
    issuerSigner: rootSigner,
  };

  const root = await issueCertificate({
    ...common,
    subject: rootName,
    spki: rootSigner.spki,
    extensions: [basicConstraints(true), keyUsage([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign])],
  });
  const leaf = await issueCertificate({
    ...common,
    subject: distinguishedName(organization, commonName),
    spki: options.signer.spki,
    extensions: [
      basicConstraints(false),
      keyUsage([KeyUsageBit.digitalSignature]),
      extendedKeyUsage([ID_KP_TIME_STAMPING]),
    ],
  });
  return chainOf([leaf, root]);
}

/**
 * Reads the PEM chain at `path`, or, when `createIfMissing` (local mode), creates one and writes it
 * there on first start. A chain issued elsewhere (createIfMissing false) must already exist. A
 * stored chain whose leaf certifies another key than the signer's is refused: its tokens would
 * not verify.
 */
export async function loadOrCreateTsaChain(
  path: string,
  signer: Signer,
  createIfMissing = true,
): Promise<TsaChain> {
  const stored = await readIfPresent(path);
  if (stored === undefined) {
    if (!createIfMissing) throw new Error(`${path}: the TSA certificate chain file does not exist`);
    const chain = await createTsaChain({ signer });
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, chain.pem, { mode: 0o644 });
    await rename(`${path}.tmp`, path);
    return chain;
  }
  const chain = chainOf(certificatesFromPem(stored, path));
  const leafKey = new X509Certificate(chain.der[0] as Buffer).publicKey.export({
    format: "der",
    type: "spki",
  });
  if (!leafKey.equals(signer.spki)) {
    throw new Error(
      `${path}: the TSA leaf certificate is for another key than the TSA signing key; ` +
        "configure the key it was issued for, or remove the file to issue a new chain",
    );
  }
  return chain;
}

function chainOf(certificates: Buffer[]): TsaChain {
  return { pem: certificates.map((der) => new X509Certificate(der).toString()).join(""), der: certificates };
}
