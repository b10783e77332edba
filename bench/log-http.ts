// A closed-loop HTTP/1.1 load client: `concurrency` keep-alive connections, each sending its next
// request as soon as the previous one is answered (like autocannon). It shares the machine with
// the service, so it is kept cheap: requests are built before the clock starts, and responses are
// parsed only as far as status line, Content-Length and body.
import { connect, type Socket } from "node:net";

export interface HttpResponse {
  status: number;
  body: Buffer;
}

export interface LoopResult {
  seconds: number;
  /** Milliseconds from write to complete response, in request order. */
  latencies: Float64Array;
  statuses: Record<string, number>;
}

export function httpRequest(url: URL, method: string, path: string, body?: Buffer): Buffer {
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
    (body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : "") +
    "\r\n";
  return body ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);
}

export async function runClosedLoop(
  url: URL,
  requests: readonly Buffer[],
  concurrency: number,
  onResponse: (response: HttpResponse, index: number) => void = () => {},
): Promise<LoopResult> {
  const connections = await Promise.all(
    Array.from({ length: concurrency }, () => HttpConnection.open(url.hostname, Number(url.port))),
  );
  const latencies = new Float64Array(requests.length);
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      for (let i = next++; i < requests.length; i = next++) {
        const sent = performance.now();
        const response = await connection.exchange(requests[i] as Buffer);
        latencies[i] = performance.now() - sent;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        onResponse(response, i);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const connection of connections) connection.close();
  return { seconds, latencies, statuses };
}

/** p50, p99 and max of latencies in milliseconds, to 0.1 ms. */
export function percentiles(latencies: Float64Array): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1));
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** One keep-alive connection, one request in flight; enough of RFC 9112 for fastify's answers. */
class HttpConnection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (response: HttpResponse) => void; reject: (error: Error) => void } | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    socket.on("error", (error) => this.waiting?.reject(error));
    socket.on("close", () => this.waiting?.reject(new Error("the log closed the connection")));
  }

  static open(host: string, port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new HttpConnection(socket)));
      socket.once("error", reject);
    });
  }

  exchange(request: Buffer): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
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
      this.waiting.reject(new Error(`response without Content-Length: ${head}`));
      return;
    }
    const end = headerEnd + 4 + length;
    if (this.buffered.length < end) return;
    const response = { status: Number(head.slice(9, 12)), body: this.buffered.subarray(headerEnd + 4, end) };
    this.buffered = this.buffered.subarray(end);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(response);
  }
}
