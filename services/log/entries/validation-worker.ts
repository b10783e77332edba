// Worker thread body for validation-pool.ts: validates batches of proposed entries and answers
// each with the validated entry or the ApiError it was refused with.
import { parentPort } from "node:worker_threads";
import { ApiError } from "../../common/errors.ts";
import { validateProposedEntry } from "./index.ts";
import type { Outcome, ValidationReply, ValidationRequest } from "./validation-pool.ts";

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

// Outcomes go back a few at a time rather than when the whole message is done: a burst of
// proposals would otherwise reach the sequencer as one late lump, and the writer would idle
// until then.
const CHUNK = 4;

parentPort?.on("message", ({ id, proposals }: ValidationRequest) => {
  for (let start = 0; start < proposals.length; start += CHUNK) {
    const outcomes = proposals.slice(start, start + CHUNK).map(outcomeOf);
    const bodies = outcomes.flatMap((outcome) =>
      "entry" in outcome ? [outcome.entry.canonicalBody.buffer] : [],
    );
    parentPort?.postMessage({ id, start, outcomes } satisfies ValidationReply, bodies as ArrayBuffer[]);
  }
});
