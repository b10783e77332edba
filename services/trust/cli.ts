/**
 * `node services/trust/cli.ts <command>`: the trust root and its TUF repository.
 *
 *   trusted-root <instance.json> [--previous FILE] [--at TIME] [--out FILE]
 *       Builds trusted_root.json from an instance description (see description-file.ts). With
 *       --previous, keys and chains not yet trusted are added from --at (default now) and the
 *       ones the description dropped end there: rotation without rewriting history.
 *   signing-config <services.json> [--out FILE]
 *       Builds signing_config.v0.2.json from `{operator, validFor, ca, oidc?, rekor, tsa?}`.
 *   tuf init <target files...>           root v1 and the first targets (named by file name)
 *   tuf add-targets <target files...>    new targets, snapshot and timestamp versions
 *   tuf resign-timestamp                 a new timestamp version (the scheduled job)
 *   tuf rotate-root                      root N+1 signed by the current and the new root keys
 *   tuf publish --bucket NAME [--prefix P]   upload to GCS, timestamp.json last
 *
 * TUF environment: SIGNET_TUF_DIR (repository, default .signet/tuf/repository),
 * SIGNET_TUF_KEYS_DIR (offline key files, default .signet/tuf/keys), SIGNET_TUF_ROOT_KEYS and
 * SIGNET_TUF_TARGETS_KEYS (comma-separated key files; default root.pem, targets.pem in the keys
 * dir; `tuf init` creates missing ones), SIGNET_TUF_ROOT_THRESHOLD, SIGNET_TUF_TARGETS_THRESHOLD,
 * SIGNET_TUF_ONLINE_SIGNER (file|kms) and SIGNET_TUF_ONLINE_KEY (key file, or KMS key version
 * signing snapshot and timestamp), SIGNET_TUF_NEW_ROOT_KEYS and SIGNET_TUF_NEW_ROOT_THRESHOLD
 * (rotate-root; created when missing), SIGNET_TUF_{ROOT,TARGETS,SNAPSHOT,TIMESTAMP}_EXPIRY_DAYS.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError, parseEnv, runMain } from "../common/config.ts";
import { loadSigner, type Signer, signerFromEnv } from "../common/signer/index.ts";
import { loadFileSigner } from "../common/signer/local.ts";
import { readInstanceDescription, readSigningServices } from "./description-file.ts";
import { reconcile } from "./rotation.ts";
import { buildSigningConfig } from "./signing-config.ts";
import type { TrustedRootJson } from "./trusted-root.ts";
import { gcsBucket, publishRepository } from "./tuf/publish.ts";
import { addTargets, initRepository, resignTimestamp, rotateRoot } from "./tuf/repository.ts";
import type { Expiries } from "./tuf/roles.ts";

const day = 24 * 60 * 60 * 1000;
const keyList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((path) => path.trim())
      .filter(Boolean),
  )
  .optional();
const threshold = z.coerce.number().int().min(1).default(1);
const days = z.coerce.number().positive().optional();

/** The TUF commands' environment. */
export function loadTufConfig(env: NodeJS.ProcessEnv = process.env) {
  const raw = parseEnv(
    {
      SIGNET_TUF_DIR: z.string().default(".signet/tuf/repository"),
      SIGNET_TUF_KEYS_DIR: z.string().default(".signet/tuf/keys"),
      SIGNET_TUF_ROOT_KEYS: keyList,
      SIGNET_TUF_ROOT_THRESHOLD: threshold,
      SIGNET_TUF_TARGETS_KEYS: keyList,
      SIGNET_TUF_TARGETS_THRESHOLD: threshold,
      SIGNET_TUF_ONLINE_SIGNER: z.enum(["file", "kms"]).default("file"),
      SIGNET_TUF_ONLINE_KEY: z.string().optional(),
      SIGNET_TUF_NEW_ROOT_KEYS: keyList,
      SIGNET_TUF_NEW_ROOT_THRESHOLD: z.coerce.number().int().min(1).optional(),
      SIGNET_TUF_ROOT_EXPIRY_DAYS: days,
      SIGNET_TUF_TARGETS_EXPIRY_DAYS: days,
      SIGNET_TUF_SNAPSHOT_EXPIRY_DAYS: days,
      SIGNET_TUF_TIMESTAMP_EXPIRY_DAYS: days,
    },
    env,
  );
  const keysDir = resolve(raw.SIGNET_TUF_KEYS_DIR);
  const expiries: Partial<Expiries> = {};
  for (const role of ["root", "targets", "snapshot", "timestamp"] as const) {
    const value = raw[`SIGNET_TUF_${role.toUpperCase() as Uppercase<typeof role>}_EXPIRY_DAYS`];
    if (value !== undefined) expiries[role] = value * day;
  }
  return {
    dir: resolve(raw.SIGNET_TUF_DIR),
    rootKeys: raw.SIGNET_TUF_ROOT_KEYS ?? [join(keysDir, "root.pem")],
    rootThreshold: raw.SIGNET_TUF_ROOT_THRESHOLD,
    targetsKeys: raw.SIGNET_TUF_TARGETS_KEYS ?? [join(keysDir, "targets.pem")],
    targetsThreshold: raw.SIGNET_TUF_TARGETS_THRESHOLD,
    newRootKeys: raw.SIGNET_TUF_NEW_ROOT_KEYS,
    newRootThreshold: raw.SIGNET_TUF_NEW_ROOT_THRESHOLD,
    online: signerFromEnv(
      raw.SIGNET_TUF_ONLINE_SIGNER,
      raw.SIGNET_TUF_ONLINE_KEY,
      join(keysDir, "online.pem"),
      "SIGNET_TUF_ONLINE_KEY",
      { file: "ecdsa-p256-sha256" },
    ),
    expiries,
  };
}

type TufConfig = ReturnType<typeof loadTufConfig>;

const offlineSigners = (paths: string[], create: boolean): Promise<Signer[]> =>
  Promise.all(paths.map((path) => loadFileSigner({ path, algorithm: "ecdsa-p256-sha256", create })));

/** Target files by their file name, e.g. `trusted_root.json`. */
async function targetFiles(paths: string[]): Promise<Record<string, Buffer>> {
  if (paths.length === 0) throw new ConfigError("name at least one target file");
  const entries = await Promise.all(
    paths.map(async (path) => [basename(path), await readFile(path)] as const),
  );
  return Object.fromEntries(entries);
}

async function runTuf(command: string | undefined, args: string[], config: TufConfig): Promise<string> {
  const { dir, expiries } = config;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { bucket: { type: "string" }, prefix: { type: "string" } },
  });
  switch (command) {
    case "init": {
      const [root, targets, online] = await Promise.all([
        offlineSigners(config.rootKeys, true),
        offlineSigners(config.targetsKeys, true),
        loadSigner(config.online),
      ]);
      const state = await initRepository({
        dir,
        expiries,
        signers: { root, targets, snapshot: online, timestamp: online },
        thresholds: { root: config.rootThreshold, targets: config.targetsThreshold },
        targets: await targetFiles(positionals),
      });
      return `initialized ${dir} (root v${state.root.signed.version})`;
    }
    case "add-targets": {
      const [targets, online] = await Promise.all([
        offlineSigners(config.targetsKeys, false),
        loadSigner(config.online),
      ]);
      const state = await addTargets({
        dir,
        expiries,
        signers: { targets, snapshot: online, timestamp: online },
        targets: await targetFiles(positionals),
      });
      return `targets v${state.targets.signed.version}, timestamp v${state.timestamp.signed.version}`;
    }
    case "resign-timestamp": {
      const state = await resignTimestamp({ dir, expiries, signer: await loadSigner(config.online) });
      return `timestamp v${state.timestamp.signed.version}, expires ${state.timestamp.signed.expires}`;
    }
    case "rotate-root": {
      if (!config.newRootKeys) throw new ConfigError("SIGNET_TUF_NEW_ROOT_KEYS: required for rotate-root");
      const state = await rotateRoot({
        dir,
        expiries,
        currentRootSigners: await offlineSigners(config.rootKeys, false),
        signers: { root: await offlineSigners(config.newRootKeys, true) },
        thresholds: { root: config.newRootThreshold },
      });
      return `root v${state.root.signed.version}`;
    }
    case "publish": {
      if (!values.bucket) throw new ConfigError("tuf publish: --bucket is required");
      const bucket = await gcsBucket(values.bucket);
      const uploaded = await publishRepository({ dir, bucket, prefix: values.prefix ?? "" });
      return `uploaded ${uploaded.length} files to gs://${values.bucket}/${values.prefix ?? ""}`;
    }
    default:
      throw new ConfigError(`unknown command: tuf ${command ?? ""}`);
  }
}

async function writeJson(path: string | undefined, json: unknown): Promise<string> {
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (!path) {
    process.stdout.write(text);
    return "";
  }
  await writeFile(path, text);
  return `wrote ${path}`;
}

async function runTrustedRoot(args: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { previous: { type: "string" }, at: { type: "string" }, out: { type: "string" } },
  });
  const [description] = positionals;
  if (!description) throw new ConfigError("trusted-root: name the instance description file");
  const previous = values.previous
    ? (JSON.parse(await readFile(values.previous, "utf8")) as TrustedRootJson)
    : undefined;
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new ConfigError(`--at: not a time: ${values.at}`);
  return writeJson(values.out, reconcile(previous, await readInstanceDescription(description), at));
}

async function runSigningConfig(args: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" } },
  });
  const [description] = positionals;
  if (!description) throw new ConfigError("signing-config: name the services file");
  return writeJson(values.out, buildSigningConfig(await readSigningServices(description)));
}

/** Runs one command line; answers the line to print. */
export async function runTrustCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [command, ...rest] = argv;
  if (command === "trusted-root") return runTrustedRoot(rest);
  if (command === "signing-config") return runSigningConfig(rest);
  if (command === "tuf") return runTuf(rest[0], rest.slice(1), loadTufConfig(env));
  throw new ConfigError(`unknown command: ${command ?? "(none)"}; see services/trust/cli.ts`);
}

if (import.meta.main) {
  runMain(async () => {
    const message = await runTrustCommand(process.argv.slice(2));
    if (message) process.stdout.write(`signet: ${message}\n`);
  });
}
