/**
 * Entry validation on worker threads. Checking an entry (certificate parsing, and above all the
 * ECDSA check over a client-computed digest, which node cannot do natively) costs several times
 * what the rest of an append costs; on the event loop it would cap the log at one core.
 * Proposals submitted during one turn of the event loop travel to a worker as one message.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ApiError } from "../../common/errors.ts";
import type { ValidatedEntry } from "./types.ts";

export interface ValidationRequest {
  id: number;
  proposals: unknown[];
}

/** Outcomes of proposals[start …] of request `id`; a request is answered in several replies. */
export interface ValidationReply {
  id: number;
  start: number;
  outcomes: Outcome[];
}

export type Outcome =
  | { entry: ValidatedEntry }
  | { refused: { status: number; code: string; message: string } }
  | { failed: string };

interface Job {
  proposed: unknown;
  resolve: (entry: ValidatedEntry) => void;
  reject: (error: Error) => void;
}

class ValidationThread {
  readonly worker: Worker;
  /** Jobs by request id, and how many of them are still unanswered. */
  private readonly inFlight = new Map<number, { jobs: Job[]; waiting: number }>();
  private nextId = 0;

  constructor(onExit: () => void) {
    this.worker = new Worker(new URL("./validation-worker.ts", import.meta.url), {
      name: "validation",
      // Validation garbage (BigInt arithmetic, parsed certificates) dies young; a small young
      // generation keeps the thread's memory small at no measurable cost.
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
    });
    // An idle pool must not keep the process alive; a busy one must.
    this.worker.unref();
    this.worker.on("message", (reply: ValidationReply) => this.settle(reply));
    this.worker.on("error", (error) => this.failAll(error));
    this.worker.on("exit", (code) => {
      this.failAll(new Error(`validation worker exited with code ${code}`));
      onExit();
    });
  }

  get load(): number {
    let jobs = 0;
    for (const request of this.inFlight.values()) jobs += request.waiting;
    return jobs;
  }

  send(jobs: Job[]): void {
    const id = this.nextId++;
    if (this.inFlight.size === 0) this.worker.ref();
    this.inFlight.set(id, { jobs, waiting: jobs.length });
    this.worker.postMessage({ id, proposals: jobs.map((job) => job.proposed) } satisfies ValidationRequest);
  }

  private settle({ id, start, outcomes }: ValidationReply): void {
    const request = this.inFlight.get(id);
    if (!request) return;
    for (const [i, outcome] of outcomes.entries()) {
      const job = request.jobs[start + i];
      if (job) settleJob(job, outcome);
    }
    request.waiting -= outcomes.length;
    if (request.waiting > 0) return;
    this.inFlight.delete(id);
    if (this.inFlight.size === 0) this.worker.unref();
  }

  private failAll(error: Error): void {
    for (const { jobs } of this.inFlight.values()) for (const job of jobs) job.reject(error);
    this.inFlight.clear();
  }
}

function settleJob(job: Job, outcome: Outcome | undefined): void {
  if (outcome === undefined) job.reject(new Error("validation worker gave no outcome"));
  else if ("entry" in outcome) {
    // Buffers cross threads as plain Uint8Arrays.
    const body = outcome.entry.canonicalBody;
    job.resolve({
      ...outcome.entry,
      canonicalBody: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    });
  } else if ("refused" in outcome) {
    const { status, code, message } = outcome.refused;
    job.reject(new ApiError(status, code, message));
  } else job.reject(new Error(`validation failed in a worker: ${outcome.failed}`));
}

/** Worker threads started on first use and kept; they hold no state but their module caches. */
export class ValidationPool {
  private readonly size: number;
  private readonly threads: ValidationThread[] = [];
  private queue: Job[] = [];

  constructor(size: number) {
    this.size = size;
  }

  validate(proposed: unknown): Promise<ValidatedEntry> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.dispatch());
      this.queue.push({ proposed, resolve, reject });
    });
  }

  private dispatch(): void {
    const jobs = this.queue;
    this.queue = [];
    while (this.threads.length < this.size) {
      const thread: ValidationThread = new ValidationThread(() => {
        this.threads.splice(this.threads.indexOf(thread), 1);
      });
      this.threads.push(thread);
    }
    // Split the turn's proposals over the threads, the least busy first.
    const threads = [...this.threads].sort((a, b) => a.load - b.load);
    const share = Math.ceil(jobs.length / threads.length);
    threads.forEach((thread, i) => {
      const part = jobs.slice(i * share, (i + 1) * share);
      if (part.length > 0) thread.send(part);
    });
  }
}

// The event loop keeps one core for HTTP, sequencing and storage.
export const validationPool = new ValidationPool(Math.max(1, availableParallelism() - 1));
