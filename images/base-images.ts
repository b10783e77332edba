/**
 * `node images/base-images.ts [Dockerfile]` prints the images the Dockerfile builds on, one per
 * line, as its FROM lines name them (by tag). The images workflow resolves each to the digest the
 * registry serves at build time and hands it to buildx as a named context
 * (`--build-context <name>=docker-image://<name>@sha256:…`), so the build uses exactly that
 * image and the run's log records which one.
 */
import { readFileSync } from "node:fs";

/** `FROM [--platform=…] <image> [AS <stage>]` lines whose image is not an earlier stage. */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images = new Set<string>();
  for (const line of dockerfile.split("\n")) {
    const from = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!from) continue;
    const [, image = "", stage] = from;
    if (!stages.has(image.toLowerCase()) && image !== "scratch") images.add(image);
    if (stage) stages.add(stage.toLowerCase());
  }
  return [...images];
}

if (import.meta.main) {
  const file = process.argv[2] ?? "Dockerfile";
  process.stdout.write(`${baseImages(readFileSync(file, "utf8")).join("\n")}\n`);
}
