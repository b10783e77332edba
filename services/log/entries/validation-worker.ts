// Worker thread body for validation-pool.ts: validates batches of proposed entries and answers
// each with the validated entry or the ApiError it was refused with.
import { parentPort } from "node:worker_threads";
import { ApiError } from "../../common/errors.ts";
import { validateProposedEntries } from "./index.ts";
import type { ValidatedEntry } from "./types.ts";
import type { Outcome, ValidationReply, ValidationRequest } from "./validation-pool.ts";

function outcomeOf(validated: ValidatedEntry | Error): Outcome {
  if (validated instanceof ApiError) {
    return { refused: { status: validated.status, code: validated.code, message: validated.message } };
  }
  if (validated instanceof Error) return { failed: validated.stack ?? validated.message };
  // Its own exact-size ArrayBuffer, transferred: cloning would copy the Buffer pool slab under it.
  return {
    entry: { ...validated, canonicalBody: Buffer.from(new Uint8Array(validated.canonicalBody).buffer) },
  };
}

// Outcomes go back a few at a time rather than when the whole message is done: a burst of
// proposals would otherwise reach the sequencer as one late lump, and the writer would idle
// until then.
const CHUNK = 4;

parentPort?.on("message", ({ id, proposals }: ValidationRequest) => {
  for (let start = 0; start < proposals.length; start += CHUNK) {
    const outcomes = validateProposedEntries(proposals.slice(start, start + CHUNK)).map(outcomeOf);
    const bodies = outcomes.flatMap((outcome) =>
      "entry" in outcome ? [outcome.entry.canonicalBody.buffer] : [],
    );
    parentPort?.postMessage({ id, start, outcomes } satisfies ValidationReply, bodies as ArrayBuffer[]);
  }
});
