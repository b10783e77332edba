// Worker thread body for validation-pool.ts: validates batches of proposed entries and answers
// each with the validated entry or the ApiError it was refused with.
import { parentPort } from "node:worker_threads";
import { ApiError } from "../../common/errors.ts";
import { validateProposedEntry } from "./index.ts";
import type { Outcome, ValidationRequest } from "./validation-pool.ts";

function outcomeOf(proposed: unknown): Outcome {
  try {
    const entry = validateProposedEntry(proposed);
    // Its own exact-size ArrayBuffer, transferred: cloning would copy the Buffer pool slab under it.
    return { entry: { ...entry, canonicalBody: Buffer.from(new Uint8Array(entry.canonicalBody).buffer) } };
  } catch (error) {
    if (error instanceof ApiError) {
      return { refused: { status: error.status, code: error.code, message: error.message } };
    }
    return { failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

parentPort?.on("message", ({ id, proposals }: ValidationRequest) => {
  const outcomes = proposals.map(outcomeOf);
  const bodies = outcomes.flatMap((outcome) =>
    "entry" in outcome ? [outcome.entry.canonicalBody.buffer] : [],
  );
  parentPort?.postMessage({ id, outcomes }, bodies as ArrayBuffer[]);
});
