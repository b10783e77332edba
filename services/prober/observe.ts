/**
 * Times the HTTP requests a client library makes on our behalf, without changing the library:
 * Node publishes every request on diagnostics channels (node:http ones for make-fetch-happen,
 * which sigstore-js signs through; undici ones for global fetch, which tuf-js uses). Only
 * requests started inside `observeCalls` are reported, to that call's sink.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";
import { describeError } from "./errors.ts";

export interface ObservedCall {
  method: string;
  url: URL;
  /** Absent when no response arrived (connection refused, timeout). */
  status?: number;
  ms: number;
  error?: string;
}

export type CallSink = (call: ObservedCall) => void;

interface Pending {
  sink: CallSink;
  method: string;
  url: URL;
  startedAt: number;
}

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path: string;
}

const currentSink = new AsyncLocalStorage<CallSink>();
// Keyed by the library's request object, so a request is reported once and never leaks.
const pending = new WeakMap<object, Pending>();
let subscribed = false;

export function observeCalls<T>(sink: CallSink, run: () => Promise<T>): Promise<T> {
  subscribeOnce();
  return currentSink.run(sink, run);
}

function subscribeOnce(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe("http.client.request.created", (message) => {
    const { request } = message as { request: ClientRequest };
    const host = String(request.getHeader("host") ?? request.host);
    started(request, request.method, new URL(`${request.protocol}//${host}${request.path}`));
  });
  subscribe("http.client.response.finish", (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    finished(request, response.statusCode);
  });
  subscribe("http.client.request.error", (message) => {
    const { request, error } = message as { request: ClientRequest; error: Error };
    finished(request, undefined, error);
  });
  subscribe("undici:request:create", (message) => {
    const { request } = message as { request: UndiciRequest };
    if (request.origin !== undefined)
      started(request, request.method ?? "GET", new URL(request.path, request.origin));
  });
  subscribe("undici:request:headers", (message) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    finished(request, response.statusCode);
  });
  subscribe("undici:request:error", (message) => {
    const { request, error } = message as { request: UndiciRequest; error: Error };
    finished(request, undefined, error);
  });
}

function started(request: object, method: string, url: URL): void {
  const sink = currentSink.getStore();
  if (sink) pending.set(request, { sink, method, url, startedAt: performance.now() });
}

function finished(request: object, status: number | undefined, error?: Error): void {
  const call = pending.get(request);
  if (!call) return;
  pending.delete(request);
  const ms = performance.now() - call.startedAt;
  const { sink, method, url } = call;
  sink({
    method,
    url,
    ms,
    ...(status === undefined ? {} : { status }),
    ...(error ? { error: describeError(error) } : {}),
  });
}
