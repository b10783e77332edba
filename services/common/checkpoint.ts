import { createHash, type KeyObject, verify } from "node:crypto";

/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), the form
 * Rekor v1 serves: body `<origin>\n<size>\n<base64 root>\n`, a blank line, then one
 * `— <name> <base64(keyHint ‖ signature)>\n` line per signature.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  /** Extension lines after the root hash; clients ignore them. */
  extensions: string[];
}

export interface NoteSignature {
  name: string;
  keyHint: Buffer;
  signature: Buffer;
}

const signaturePrefix = "\u2014 ";

export function checkpointBody(checkpoint: Checkpoint): string {
  const lines = [checkpoint.origin, String(checkpoint.size), checkpoint.rootHash.toString("base64")];
  return `${[...lines, ...checkpoint.extensions].join("\n")}\n`;
}

/** For ECDSA keys the key hint is the first 4 bytes of SHA-256 of the DER SPKI (Rekor's log ID). */
export function keyHintOf(spki: Buffer): Buffer {
  return createHash("sha256").update(spki).digest().subarray(0, 4);
}

export async function signNote(
  body: string,
  name: string,
  keyHint: Buffer,
  sign: (data: Buffer) => Promise<Buffer>,
): Promise<string> {
  const signature = await sign(Buffer.from(body, "utf8"));
  return `${body}\n${signaturePrefix}${name} ${Buffer.concat([keyHint, signature]).toString("base64")}\n`;
}

export class CheckpointFormatError extends Error {
  override readonly name = "CheckpointFormatError";
}

/** Splits a signed note into its parsed body and signature lines, without verifying anything. */
export function parseSignedCheckpoint(note: string): {
  body: string;
  checkpoint: Checkpoint;
  signatures: NoteSignature[];
} {
  const split = note.indexOf("\n\n");
  if (split < 0) throw new CheckpointFormatError("no blank line between body and signatures");
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootText, ...extensions] = body.slice(0, -1).split("\n");
  if (!origin || !sizeText || !/^\d+$/.test(sizeText) || rootText === undefined) {
    throw new CheckpointFormatError("body must hold origin, decimal size and root hash");
  }
  const rootHash = Buffer.from(rootText, "base64");
  if (rootHash.length !== 32) throw new CheckpointFormatError("root hash is not 32 bytes");
  const signatures = note
    .slice(split + 2)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      const raw = match?.[2] ? Buffer.from(match[2], "base64") : undefined;
      if (!match?.[1] || !raw || raw.length < 5)
        throw new CheckpointFormatError(`bad signature line: ${line}`);
      return { name: match[1], keyHint: raw.subarray(0, 4), signature: raw.subarray(4) };
    });
  return { body, checkpoint: { origin, size: Number(sizeText), rootHash, extensions }, signatures };
}

/**
 * Verifies that `note` carries a valid signature by `name` with `publicKey` (ECDSA over SHA-256,
 * as clients verify it) and returns the checkpoint; throws CheckpointFormatError otherwise.
 */
export function verifyCheckpoint(note: string, name: string, publicKey: KeyObject, spki: Buffer): Checkpoint {
  const { body, checkpoint, signatures } = parseSignedCheckpoint(note);
  const hint = keyHintOf(spki);
  const valid = signatures.some(
    (s) =>
      s.name === name &&
      s.keyHint.equals(hint) &&
      verify("sha256", Buffer.from(body, "utf8"), publicKey, s.signature),
  );
  if (!valid) throw new CheckpointFormatError(`no valid signature by ${name}`);
  return checkpoint;
}
