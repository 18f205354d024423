/**
 * Trace text → text safe to print on a terminal. Trace data is untrusted: a span name can
 * carry ESC sequences that set the window title, write the clipboard (OSC 52), move the
 * cursor to overwrite what Runlens printed, or hide text. Everything Runlens prints from
 * stored trace data goes through `terminalText`; Runlens's own colours are added after it.
 */

/**
 * ESC sequences (7-bit and their 8-bit C1 forms), longest first:
 * - OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \ or 0x9c); unterminated, up to the next ESC or line;
 * - CSI: parameters, intermediates, one final byte;
 * - any other ESC + intermediates + final byte (charset selection, keypad modes, RIS…).
 */
const SEQUENCES =
  /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u009c\u001b\n]*(?:\u0007|\u009c|\u001b\\|(?=[\u001b\n])|$)|(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

/** C0 and C1 controls and DEL, except \n and \t (handled by the caller's choice). */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Bidirectional overrides and isolates: they reorder what is shown ("Trojan Source") so a
 * printed name can read differently from what it is.
 */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

export interface TerminalTextOptions {
  /** Keep line breaks (a block meant to span lines, e.g. a stack trace). Default: each becomes a space. */
  multiline?: boolean;
}

/**
 * `text` with every ESC sequence and C0/C1 control character removed. Tabs become a space;
 * line breaks (\n, \r\n, lone \r) become a space, or stay as \n with `multiline`.
 */
export function terminalText(text: unknown, opts: TerminalTextOptions = {}): string {
  const s = typeof text === 'string' ? text : text === undefined || text === null ? '' : String(text);
  // The common case, plain printable text, costs one test.
  if (!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(s)) return s;
  return s
    .replace(SEQUENCES, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/\n/g, opts.multiline ? '\n' : ' ')
    .replace(CONTROLS, '')
    .replace(BIDI, '');
}
