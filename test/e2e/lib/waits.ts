// Waiting on the workbench's UI: the timeouts (scaled on a slow machine), polling until what
// is read is right (or failing with what was read), and matching a label exactly.

/** Scales every UI wait: RUNLENS_E2E_TIMEOUT_SCALE=2 on a slow machine. */
export const SCALE = Number(process.env.RUNLENS_E2E_TIMEOUT_SCALE ?? 1) || 1;
export const UI_TIMEOUT = 30_000 * SCALE;
export const READY_TIMEOUT = 180_000 * SCALE;

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function exactly(text: string | RegExp): RegExp {
  return typeof text === 'string' ? new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) : text;
}

/**
 * Polls `read` until `accept` holds; on timeout throws with the last value read, so a failing
 * scenario shows what the UI showed instead.
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = UI_TIMEOUT,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      last = await read();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  const seen = lastError ? `error: ${(lastError as Error).message}` : JSON.stringify(last, null, 1);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
}
