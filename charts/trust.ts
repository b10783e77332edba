import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, configDir } from "../src/config/load.ts";

/**
 * Public trust material an environment's services need that no Terraform resource holds: made
 * at the key ceremonies (docs/runbooks/rotate-signing-key.md), then committed beside the
 * environment file as `<config dir>/<env>/<file>`, so it travels with SIGNET_CONFIG_DIR.
 */
export interface TrustMaterial {
  /** `ca-chain.pem`: the CA's intermediate and root, from `ca init` for the CA's KMS key. */
  caChain: string;
  /** `tsa-chain.pem`: the timestamp authority's chain, leaf first. */
  tsaChain: string;
  /** `tuf-root.json`: the TUF root the prober starts from, as `tuf init` published it. */
  tufRoot: string;
}

const files: Record<keyof TrustMaterial, { name: string; what: string }> = {
  caChain: { name: "ca-chain.pem", what: "the CA chain from `ca init`" },
  tsaChain: { name: "tsa-chain.pem", what: "the TSA chain, leaf first" },
  tufRoot: { name: "tuf-root.json", what: "the published TUF root.json" },
};

export function loadTrustMaterial(environment: string, dir = configDir()): TrustMaterial {
  const read = (key: keyof TrustMaterial): string => {
    const file = join(dir, environment, files[key].name);
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(
        file,
        code === "ENOENT" ? `file not found (${files[key].what})` : `cannot read (${code})`,
      );
    }
  };
  return { caChain: read("caChain"), tsaChain: read("tsaChain"), tufRoot: read("tufRoot") };
}

/** The last certificate of a PEM chain: its root. */
export function rootOf(chain: string): string {
  const certificates = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
  const root = certificates.at(-1);
  if (root === undefined) throw new Error("no certificate in the chain");
  return root.endsWith("\n") ? root : `${root}\n`;
}
