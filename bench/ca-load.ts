// The load generator. It shares two cores with the CA, the log and the issuer, so it is kept
// cheap: requests are built before the clock starts, sockets are raw, and responses are parsed
// only as far as status line, Content-Length and body.
import { connect, type Socket } from "node:net";
import { percentiles } from "./log-http.ts";

export interface LoadResult {
  completed: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
  /** Every `sampleEvery`-th 201 answer, with the index of its request. */
  samples: Array<{ index: number; body: string }>;
  /**
   * Open loop only: how late each request left after it was due (the generator's own stalls,
   * e.g. its garbage collection, and waiting for a connection). Part of the latency above.
   */
  sendLagMs?: { p50: number; p99: number; max: number };
}

interface Exchange {
  /** 0 when the connection failed before an answer came. */
  status: number;
  body: Buffer;
}

/** Most connections the open loop keeps; requests due beyond them wait (and that wait counts). */
const maxOpenConnections = 256;

/** Closed loop: `concurrency` keep-alive connections, each sending its next request when answered. */
export async function runClosedLoop(
  url: string,
  requests: readonly Buffer[],
  concurrency: number,
  sampleEvery: number,
): Promise<LoadResult> {
  const { hostname, port } = new URL(url);
  const open = () => HttpConnection.open(hostname, Number(port));
  const connections = await Promise.all(Array.from({ length: concurrency }, open));
  const recorder = new Recorder(requests.length, sampleEvery);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    connections.map(async (first) => {
      let connection = first;
      for (let i = next++; i < requests.length; i = next++) {
        const sent = performance.now();
        const response = await connection.exchange(requests[i] as Buffer);
        recorder.record(i, sent, response);
        if (response.status === 0) connection = await open();
      }
      connection.close();
    }),
  );
  return recorder.result((performance.now() - started) / 1000);
}

/**
 * Open loop: request i is due at start + i/rate whatever happened before, on an idle connection or
 * a new one. Latency counts from when a request was due, not when it left, so a stalled server
 * cannot hide its queue (no coordinated omission).
 */
export async function runFixedRate(
  url: string,
  requests: readonly Buffer[],
  rate: number,
  sampleEvery: number,
): Promise<LoadResult> {
  const { hostname, port } = new URL(url);
  const open = () => HttpConnection.open(hostname, Number(port));
  const idle = await Promise.all(Array.from({ length: 16 }, open));
  let opened = idle.length;
  const waiting: Array<(connection: HttpConnection) => void> = [];
  const release = (connection: HttpConnection) => {
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else idle.push(connection);
  };
  const acquire = async (): Promise<HttpConnection> => {
    const connection = idle.pop();
    if (connection) return connection;
    if (opened >= maxOpenConnections) return new Promise((resolve) => waiting.push(resolve));
    opened++;
    return open();
  };
  const recorder = new Recorder(requests.length, sampleEvery);
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  const lags = new Float64Array(requests.length);
  const send = async (i: number, due: number) => {
    const connection = await acquire();
    lags[i] = performance.now() - due;
    const response = await connection.exchange(requests[i] as Buffer);
    recorder.record(i, due, response);
    release(response.status === 0 ? await open() : connection);
  };
  let next = 0;
  while (next < requests.length) {
    const now = performance.now();
    for (; next < requests.length && started + (next * 1000) / rate <= now; next++) {
      inFlight.push(send(next, started + (next * 1000) / rate));
    }
    await new Promise((done) => setTimeout(done, 1));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  for (const connection of idle) connection.close();
  return { ...recorder.result(seconds), sendLagMs: percentiles(lags) };
}

class Recorder {
  private readonly latencies: Float64Array;
  private readonly sampleEvery: number;
  private readonly statuses: Record<string, number> = {};
  private readonly samples: Array<{ index: number; body: string }> = [];
  private created = 0;
  private count = 0;

  constructor(size: number, sampleEvery: number) {
    this.latencies = new Float64Array(size);
    this.sampleEvery = sampleEvery;
  }

  record(index: number, since: number, response: Exchange): void {
    this.latencies[this.count++] = performance.now() - since;
    const status = response.status === 0 ? "connection failed" : String(response.status);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (response.status === 201 && this.created++ % this.sampleEvery === 0) {
      this.samples.push({ index, body: response.body.toString() });
    }
  }

  result(seconds: number): LoadResult {
    return {
      completed: this.count,
      seconds,
      perSecond: this.created / seconds,
      latencyMs: percentiles(this.latencies.subarray(0, this.count)),
      statuses: this.statuses,
      samples: this.samples,
    };
  }
}

/** One HTTP/1.1 keep-alive connection, one request in flight; enough of RFC 9112 for fastify's answers. */
class HttpConnection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: ((response: Exchange) => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    // A failed exchange is an error the run counts, not a reason to stop it.
    socket.on("error", () => this.fail());
    socket.on("close", () => this.fail());
  }

  static open(host: string, port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new HttpConnection(socket)));
      socket.once("error", reject);
    });
  }

  exchange(request: Buffer): Promise<Exchange> {
    if (this.socket.destroyed) return Promise.resolve({ status: 0, body: Buffer.alloc(0) });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    const headerEnd = this.buffered.indexOf("\r\n\r\n");
    if (headerEnd < 0 || !this.waiting) return;
    const head = this.buffered.toString("latin1", 0, headerEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    if (!Number.isSafeInteger(length)) {
      this.fail();
      return;
    }
    const end = headerEnd + 4 + length;
    if (this.buffered.length < end) return;
    const response = { status: Number(head.slice(9, 12)), body: this.buffered.subarray(headerEnd + 4, end) };
    this.buffered = this.buffered.subarray(end);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(response);
  }

  private fail(): void {
    this.socket.destroy();
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ status: 0, body: Buffer.alloc(0) });
  }
}
