// Worker thread body for validation-pool.ts: validates batches of proposed entries and answers
// each with the validated entry or the ApiError it was refused with.
import { parentPort } from "node:worker_threads";
import { ApiError } from "../../common/errors.ts";
import { validateProposedEntry } from "./index.ts";
import type { Outcome, ValidationRequest } from "./validation-pool.ts";

function outcomeOf(proposed: unknown): Outcome {
  try {
    return { entry: validateProposedEntry(proposed) };
  } catch (error) {
    if (error instanceof ApiError) {
      return { refused: { status: error.status, code: error.code, message: error.message } };
    }
    return { failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

parentPort?.on("message", ({ id, proposals }: ValidationRequest) => {
  parentPort?.postMessage({ id, outcomes: proposals.map(outcomeOf) });
});
