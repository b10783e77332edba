import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningConfig, TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/common/config.ts";
import { runTrustCommand } from "../../../services/trust/cli.ts";
import type { TrustedRootJson } from "../../../services/trust/trusted-root.ts";
import { createCa, generateKey } from "../../support/pki.ts";
import { fetchTrustedRoot, serveDirectory } from "./support.ts";

let work: string;
let env: NodeJS.ProcessEnv;

const at = (name: string) => join(work, name);
const readJson = async (name: string) => JSON.parse(await readFile(at(name), "utf8"));
const validFor = { start: "2025-01-01T00:00:00Z" };

async function writeInstance(rekorKeyPem: string): Promise<void> {
  const ca = await createCa({ commonName: "signet-cli-root" });
  await writeFile(at("rekor.pub"), rekorKeyPem);
  await writeFile(at("ca.pem"), ca.pem);
  const ca0 = {
    uri: "https://ca.signet.test",
    subject: { organization: "Signet", commonName: "signet" },
    chain: "ca.pem",
    validFor,
  };
  const tlog = { baseUrl: "https://rekor.signet.test", publicKey: "rekor.pub", validFor };
  await writeFile(at("instance.json"), JSON.stringify({ tlogs: [tlog], certificateAuthorities: [ca0] }));
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "signet-trust-cli-"));
  env = { SIGNET_TUF_DIR: at("repository"), SIGNET_TUF_KEYS_DIR: at("keys") };
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("trust CLI", () => {
  it("trusted-root builds from a description and rotates a changed key with --previous", async () => {
    await writeInstance(generateKey().publicKeyPem);
    await runTrustCommand(["trusted-root", at("instance.json"), "--out", at("v1.json")]);
    await writeFile(at("rekor.pub"), generateKey().publicKeyPem);

    await runTrustCommand([
      "trusted-root",
      at("instance.json"),
      "--previous",
      at("v1.json"),
      "--at",
      "2026-01-01T00:00:00Z",
      "--out",
      at("v2.json"),
    ]);

    const rotated: TrustedRootJson = await readJson("v2.json");
    expect(rotated.tlogs.map((log) => log.publicKey.validFor)).toEqual([
      { start: "2025-01-01T00:00:00Z", end: "2026-01-01T00:00:00Z" },
      { start: "2026-01-01T00:00:00Z" },
    ]);
    expect(rotated.certificateAuthorities).toEqual((await readJson("v1.json")).certificateAuthorities);
    expect(toTrustMaterial(TrustedRoot.fromJSON(rotated)).tlogs).toHaveLength(2);
  });

  it("signing-config builds a v0.2 signing config", async () => {
    const services = {
      operator: "signet.test",
      validFor,
      ca: "https://ca.signet.test",
      rekor: "https://rekor.signet.test",
    };
    await writeFile(at("services.json"), JSON.stringify(services));

    await runTrustCommand(["signing-config", at("services.json"), "--out", at("signing_config.v0.2.json")]);

    const parsed = SigningConfig.fromJSON(await readJson("signing_config.v0.2.json"));
    expect(parsed.caUrls[0]?.url).toBe("https://ca.signet.test");
  });

  it("tuf init, add-targets, resign-timestamp and rotate-root leave a repository clients follow", async () => {
    await writeInstance(generateKey().publicKeyPem);
    await runTrustCommand(["trusted-root", at("instance.json"), "--out", at("trusted_root.json")]);
    await runTrustCommand(["tuf", "init", at("trusted_root.json")], env);
    const firstRoot = await readFile(at("repository/1.root.json"));
    await writeFile(at("initial-root.json"), firstRoot);

    await runTrustCommand(["trusted-root", at("instance.json"), "--out", at("trusted_root.json")]);
    await writeFile(at("signing_config.v0.2.json"), "{}");
    await runTrustCommand(
      ["tuf", "add-targets", at("trusted_root.json"), at("signing_config.v0.2.json")],
      env,
    );
    await runTrustCommand(["tuf", "resign-timestamp"], env);
    const rotated = await runTrustCommand(["tuf", "rotate-root"], {
      ...env,
      SIGNET_TUF_NEW_ROOT_KEYS: `${at("keys/root-2a.pem")},${at("keys/root-2b.pem")}`,
      SIGNET_TUF_NEW_ROOT_THRESHOLD: "2",
    });

    expect(rotated).toBe("root v2");
    expect((await readJson("repository/timestamp.json")).signed.version).toBe(3);
    const mirror = await serveDirectory(at("repository"));
    try {
      const fetched = await fetchTrustedRoot(mirror, at("initial-root.json"), at("cache"));
      expect(TrustedRoot.toJSON(fetched)).toEqual(
        TrustedRoot.toJSON(TrustedRoot.fromJSON(await readJson("trusted_root.json"))),
      );
    } finally {
      await mirror.close();
    }
  });

  it("explains what is missing in one line", async () => {
    const attempts = [
      runTrustCommand(["tuf", "publish"], env),
      runTrustCommand(["tuf", "rotate-root"], env),
      runTrustCommand(["trusted-root"]),
      runTrustCommand(["sign"]),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(ConfigError);
  });
});
