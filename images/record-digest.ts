/**
 * `node images/record-digest.ts --environment staging ca=<image>@sha256:<digest> ...` writes
 * freshly pushed image digests into `images:` of the environment's configuration file
 * ($SIGNET_CONFIG_DIR or stacks/environments), where the charts read them. Only the values change:
 * comments, key order and formatting are kept, so the pull request shows one line per image.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isScalar, parseDocument } from "yaml";
import { imageRepository } from "../src/config/endpoints.ts";
import { ConfigError, configDir } from "../src/config/load.ts";
import { environmentSchema } from "../src/config/schema.ts";

export const services = ["ca", "log", "prober"] as const;
export type Service = (typeof services)[number];

export type ImageUpdates = Partial<Record<Service, string>>;

export interface ImageChange {
  service: Service;
  from: string;
  to: string;
}

/** `<service>=<image reference>` arguments, each service at most once. */
export function parseUpdates(args: string[]): ImageUpdates {
  const updates: ImageUpdates = {};
  for (const arg of args) {
    const split = arg.indexOf("=");
    const service = arg.slice(0, Math.max(split, 0));
    if (split < 1 || !(services as readonly string[]).includes(service)) {
      throw new Error(
        `${arg}: expected <service>=<image>@sha256:<digest>, service one of ${services.join(", ")}`,
      );
    }
    if (updates[service as Service] !== undefined) throw new Error(`${service}: given twice`);
    updates[service as Service] = arg.slice(split + 1);
  }
  if (Object.keys(updates).length === 0)
    throw new Error("no image given: pass <service>=<image>@sha256:<digest>");
  return updates;
}

/**
 * The file's text with `images.<service>` set for each update, and what changed. The result is
 * validated as a whole environment file, and every image must come from the environment's own
 * repository: its nodes may pull from nowhere else.
 */
export function recordDigests(
  file: string,
  text: string,
  updates: ImageUpdates,
): { text: string; changes: ImageChange[] } {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new ConfigError(file, `invalid YAML: ${document.errors[0]?.message}`);
  const changes: ImageChange[] = [];
  for (const service of services) {
    const to = updates[service];
    if (to === undefined) continue;
    const node = document.getIn(["images", service], true);
    if (!isScalar(node)) throw new ConfigError(file, `images.${service}: missing, nothing to update`);
    const from = String(node.value);
    // Setting the scalar's value keeps the node, and with it any comment attached to it.
    node.value = to;
    if (from !== to) changes.push({ service, from, to });
  }

  const result = environmentSchema.safeParse(document.toJS());
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(file, `${issue?.path.join(".")}: ${issue?.message}`);
  }
  const repository = imageRepository(result.data);
  for (const { service, to } of changes) {
    const expected = `${repository}/${service}`;
    if (!to.startsWith(`${expected}@`) && !to.startsWith(`${expected}:`)) {
      throw new ConfigError(
        file,
        `images.${service}: ${to} is not in this environment's repository ${expected}`,
      );
    }
  }
  // No folding of long lines and no padding inside [flow, lists]: the file is written back as it
  // was read, apart from the values set above.
  return { text: document.toString({ lineWidth: 0, flowCollectionPadding: false }), changes };
}

function main(argv: string[]): void {
  const [flag, environment, ...rest] = argv;
  if (flag !== "--environment" || !environment) {
    throw new Error(
      "usage: node images/record-digest.ts --environment <name> <service>=<image>@sha256:<digest>...",
    );
  }
  const updates = parseUpdates(rest);
  const file = join(configDir(), `${environment}.yaml`);
  const { text, changes } = recordDigests(file, readFileSync(file, "utf8"), updates);
  if (changes.length === 0) {
    console.log(`${file}: already records these images`);
    return;
  }
  writeFileSync(file, text);
  for (const change of changes)
    console.log(`${file}: images.${change.service} ${change.from} -> ${change.to}`);
}

if (import.meta.main) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`images/record-digest.ts: ${(error as Error).message}`);
    process.exit(1);
  }
}
