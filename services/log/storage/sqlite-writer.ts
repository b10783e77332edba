/**
 * Appends to SQLite files from a worker thread. node:sqlite is synchronous, and a durable commit
 * waits for fsync (milliseconds on most disks): on the event loop every batch would stall HTTP
 * and validation for that long. Readers stay on the event loop; in WAL mode they see a batch once
 * its commit has returned, which is before its append resolves.
 *
 * One thread serves every file of the process (the log's shards, the CT log), and it is started by
 * the first append and stopped with the last writer: a read-only process never pays for it.
 */
import { Worker } from "node:worker_threads";
import { encodeBatch } from "./batch-codec.ts";
import { type AppendBatch, StaleTreeError } from "./types.ts";

export interface WriterTarget {
  /** Each writer has a connection of its own, as two processes would. */
  writer: number;
  path: string;
  treeId: string;
}

export type WriterRequest =
  | { id: number; target: WriterTarget /** encodeBatch's output */; batch: ArrayBuffer }
  | { id: number; target: WriterTarget; close: true };

export type WriterReply =
  | { id: number; outcome: "done" }
  | { id: number; outcome: "stale"; storedSize: number }
  | { id: number; outcome: "failed"; message: string };

interface Pending {
  expectedSize: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

class WriterThread {
  readonly #worker = new Worker(new URL("./sqlite-writer-thread.ts", import.meta.url), {
    name: "sqlite-writer",
    // The thread allocates little besides each batch's message; its heap need not grow.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  constructor() {
    // An idle thread must not keep the process alive; one with a commit in flight must.
    this.#worker.unref();
    this.#worker.on("message", (reply: WriterReply) => this.#settle(reply));
    this.#worker.on("error", (error) => this.#failAll(error));
    this.#worker.on("exit", () => this.#failAll(new Error("the SQLite writer thread stopped")));
  }

  send(request: { target: WriterTarget; batch: AppendBatch } | { target: WriterTarget; close: true }) {
    return new Promise<void>((resolve, reject) => {
      const id = this.#nextId++;
      if (this.#pending.size === 0) this.#worker.ref();
      const expectedSize = "batch" in request ? request.batch.expectedSize : 0;
      this.#pending.set(id, { expectedSize, resolve, reject });
      if ("batch" in request) {
        const batch = encodeBatch(request.batch);
        this.#worker.postMessage({ id, target: request.target, batch } satisfies WriterRequest, [batch]);
      } else this.#worker.postMessage({ id, ...request } satisfies WriterRequest);
    });
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }

  #settle(reply: WriterReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.outcome === "done") pending.resolve();
    else if (reply.outcome === "stale")
      pending.reject(new StaleTreeError(pending.expectedSize, reply.storedSize));
    else pending.reject(new Error(reply.message));
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

let thread: WriterThread | undefined;
const writers = new Set<SqliteWriter>();
let writerCount = 0;

/** The write side of one tree in one SQLite file. */
export class SqliteWriter {
  readonly #target: WriterTarget;
  #used = false;

  constructor(path: string, treeId: string) {
    this.#target = { writer: writerCount++, path, treeId };
  }

  append(batch: AppendBatch): Promise<void> {
    this.#used = true;
    writers.add(this);
    thread ??= new WriterThread();
    return thread.send({ target: this.#target, batch });
  }

  /** Lets this tree's sent batches commit, closes its connection, and the thread with the last one. */
  async close(): Promise<void> {
    if (!this.#used || !thread) return;
    const current = thread;
    await current.send({ target: this.#target, close: true });
    writers.delete(this);
    if (writers.size === 0 && thread === current) {
      thread = undefined;
      await current.stop();
    }
  }
}
