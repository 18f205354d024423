/**
 * What an endpoint of the collector is (collector.ts holds the table of them) and how it
 * answers: a handler is given a request the guard rails (guard.ts) let in, with its body read.
 * An error it throws becomes a google.rpc.Status reply (HttpError: its status; a malformed
 * body: 400).
 */
import type * as http from 'node:http';
import type { Store } from '../store/types';

export interface CollectorStats {
  requests: number;
  spans: number;
  rejected: number;
}

/**
 * Where trace exports the collector accepted go besides the store (the forwarder, src/core/upstream):
 * each as received, after the store accepted it. One direction: nothing comes back.
 */
export interface TraceForward {
  accept(encoding: 'protobuf' | 'json', body: Uint8Array, spans: number): void;
}

/** One request let in, its body read (decompressed, within the limits). */
interface Received {
  store: Store;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The media type of its Content-Type, lower case: one of the route's `types`. */
  type: string;
  body: Buffer;
}

export interface Route {
  /** The exact content types it takes (a browser must preflight any of them). */
  readonly types: readonly string[];
  /** Browser requests from an allowed origin (runlens.collector.allowedOrigins) are accepted here. */
  readonly takesOrigins?: boolean;
  /** Store the body and reply; throw HttpError (or a format error) to refuse it. */
  handle(received: Received): void;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Error reply shaped like google.rpc.Status (JSON for both wire formats, which exporters log as-is). */
export function sendStatus(res: http.ServerResponse, status: number, message: string, close = false): void {
  if (res.headersSent) return;
  // 3 INVALID_ARGUMENT for client errors, 13 INTERNAL otherwise.
  const code = status >= 500 ? 13 : 3;
  // A refused or unread body: close the connection rather than read the rest of it.
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message }));
}
