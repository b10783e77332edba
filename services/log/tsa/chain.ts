import { createPublicKey, generateKeyPairSync, type KeyObject, X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { certificatesFromPem } from "../../common/pem.ts";
import { algorithmOf, type KeyAlgorithm, keyAlgorithms, type Signer } from "../../common/signer/types.ts";
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
  signer: Signer;
  /** EC P-256 or P-384 private key of the root CA; a fresh one on the signer's curve when absent. */
  rootKey?: KeyObject;
}

const ORGANIZATION = "Signet";
const VALIDITY_YEARS = 10;
// Backdated so a verifier whose clock runs a little behind still sees the chain as valid.
const CLOCK_SKEW_MS = 60 * 60 * 1000;

// The same algorithms as Web Crypto names them, for signing certificates with the root key.
const WEB_CRYPTO: Readonly<Record<KeyAlgorithm, { namedCurve: string; hash: "SHA-256" | "SHA-384" }>> = {
  "ecdsa-p256-sha256": { namedCurve: "P-256", hash: "SHA-256" },
  "ecdsa-p384-sha384": { namedCurve: "P-384", hash: "SHA-384" },
};

/**
 * Local-mode TSA chain: a self-signed root CA with its own key, and a leaf for the signer's key
 * that may only stamp time (RFC 3161 §2.3: critical EKU id-kp-timeStamping, alone). Both share
 * one validity window, as verifiers check every certificate of the path at the stamped time.
 */
export async function createTsaChain(options: CreateTsaChainOptions): Promise<TsaChain> {
  const rootKey =
    options.rootKey ??
    generateKeyPairSync("ec", { namedCurve: keyAlgorithms[options.signer.algorithm].namedCurve }).privateKey;
  const rootAlgorithm = webCryptoAlgorithmOf(rootKey);
  const rootSpki = createPublicKey(rootKey).export({ format: "der", type: "spki" });
  const signingKey = rootKey.toCryptoKey({ name: "ECDSA", namedCurve: rootAlgorithm.namedCurve }, false, [
    "sign",
  ]);
  const rootName = distinguishedName(ORGANIZATION, "Signet Local TSA Root");
  const notBefore = new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const common = {
    issuer: rootName,
    issuerSpki: rootSpki,
    notBefore,
    notAfter,
    signingKey,
    hash: rootAlgorithm.hash,
  };

  const root = await issueCertificate({
    ...common,
    subject: rootName,
    spki: rootSpki,
    extensions: [basicConstraints(true), keyUsage([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign])],
  });
  const leaf = await issueCertificate({
    ...common,
    subject: distinguishedName(ORGANIZATION, "Signet Local Timestamp Authority"),
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

function webCryptoAlgorithmOf(key: KeyObject): (typeof WEB_CRYPTO)[KeyAlgorithm] {
  const algorithm = algorithmOf(key);
  if (algorithm === undefined) throw new Error("the TSA root key must be an EC P-256 or P-384 private key");
  return WEB_CRYPTO[algorithm];
}

function chainOf(certificates: Buffer[]): TsaChain {
  return { pem: certificates.map((der) => new X509Certificate(der).toString()).join(""), der: certificates };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
