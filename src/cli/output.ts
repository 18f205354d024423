/**
 * What the CLI writes: its own messages, text that carries trace data (without terminal
 * controls), colour only where it belongs, JSON for scripts.
 */
import { encode } from '../core/store/codec';
import { terminalText } from '../core/terminal';

/** Runlens's own messages on stderr. They may quote trace data (a run's name, a file's error): printed as text only. */
export const log = (m: string) => process.stderr.write(`runlens: ${terminalText(m, { multiline: true })}\n`);

/** Print a line that carries trace data: without terminal controls. */
export const print = (stream: NodeJS.WriteStream, text: string) => stream.write(terminalText(text, { multiline: true }));

/**
 * Colour on a terminal only: never when NO_COLOR is set (non-empty, no-color.org), always
 * when FORCE_COLOR is set (and not 0/false), else when `stream` is a TTY.
 */
export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true;
}

/** JSON for scripts: bigint times become decimal strings. */
export function encodeJson(v: unknown): string {
  return escapeC1(
    JSON.stringify(
      JSON.parse(encode(v), (_k, x) => (x && typeof x === 'object' && typeof x['\u0000n'] === 'string' ? x['\u0000n'] : x)),
      null,
      2,
    ),
  );
}

/**
 * JSON.stringify escapes C0 controls but leaves DEL and C1 (U+007F-U+009F) raw, which some
 * terminals act on (0x9b is CSI). Escaped, the JSON means the same and prints as text.
 */
export function escapeC1(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
