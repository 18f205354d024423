/**
 * Mirror a store's changes into another Runlens process (the one that holds the database
 * file) through its collector's `/runlens/v1/batch` endpoint. Used by `runlens run` when
 * VS Code already has the workspace database open: the run is recorded there, live.
 */
import * as http from 'node:http';
import type { Span } from './model';
import type { TraceStore } from './store/store';
import { encode } from './store/codec';

/** `token`: the owner's secret (readStoreSecret of the database), sent as x-runlens-token. */
export function forwardChanges(store: TraceStore, endpoint: string, log: (m: string) => void, token?: string): { drain(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  let warned = false;
  const send = (body: string) => {
    chain = chain.then(() =>
      post(`${endpoint}/runlens/v1/batch`, body, token).catch((err: Error) => {
        if (!warned) log(`could not send to ${endpoint} (${err.message}); this run is only printed, not recorded`);
        warned = true;
      }),
    );
  };
  store.onChange((c) => {
    if (c.type === 'runs') {
      const runs = c.runIds.map((id) => store.getRun(id)).filter((r) => r !== undefined);
      send(encode({ runs, spans: [] }));
    } else if (c.type === 'spans' && c.spans?.length) {
      send(encode({ runs: [], spans: c.spans as Span[] }));
    }
  });
  return { drain: () => chain };
}

function post(url: string, body: string, token: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['x-runlens-token'] = token;
    const req = http.request(url, { method: 'POST', headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}
