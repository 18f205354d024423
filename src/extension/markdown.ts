/**
 * Markdown for tooltips and hovers built from untrusted trace text (span names, error
 * messages, attribute values, stack traces). Pure: no `vscode` import. Everything a trace
 * says goes through `text()` or `code()`; only our own fixed strings are raw markdown.
 *
 * Escaping is by HTML character references, not backslashes: CommonMark never reads a
 * character reference as structure (no link, emphasis, heading, list, autolink or HTML can
 * start from one), and VS Code's plain-text rendering of a backslash-escaped `\<` gives the
 * tag back. Trace text still belongs in a MarkdownString that may run no command.
 */

import type { CommandArgs, CommandId } from './commands/table';

/** Every ASCII punctuation character (all CommonMark can read as syntax). */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** Escape text so markdown shows it literally: no links, emphasis, HTML, theme icons, blocks. */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/\0/g, '\ufffd')
    .replace(PUNCTUATION, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\r\n?|\n/g, '\n')
    .replace(/^[ \t]+/gm, (m) => m.replace(/ /g, '&nbsp;').replace(/\t/g, '&nbsp;'.repeat(4))) // never an indented code block
    .replace(/\n/g, '  \n'); // keep line breaks as breaks, never as block syntax
}

/**
 * A fenced code block nothing inside can close: the fence is backticks, longer than any
 * backtick run anywhere in the value (a closing fence, indented or not, must be at least as
 * long); tildes cannot close a backtick fence; every line ending is normalised first.
 */
export function codeBlock(value: string, language = 'text'): string {
  const body = value.replace(/\r\n?/g, '\n').replace(/\0/g, '\ufffd');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n${fence}${language.replace(/[^\w-]/g, '')}\n${body}\n${fence}\n`;
}

/**
 * A link that runs one of our commands. The arguments are percent-encoded down to
 * unreserved characters, so ids from a trace cannot end the link (`)`), open a title or add
 * markdown after it; the title is escaped.
 */
export function commandLink<K extends CommandId>(title: string, command: K, args: CommandArgs<K>): string {
  if (!/^[\w.-]+$/.test(command)) throw new Error(`not a command id: ${command}`);
  const query = encodeURIComponent(JSON.stringify(args)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${escapeMarkdown(title)}](command:${command}?${query})`;
}

/** Text for a CodeLens title or QuickPick label (theme icons render there): `$(x)` stays literal. */
export function noIcons(value: string): string {
  return value.replace(/\$\(/g, '$\u200b(');
}

/** Shorten to one line of at most `max` characters. */
export function oneLine(value: string, max = 160): string {
  const first = value.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const t = first.trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/** Builder: fixed markdown via `md`, untrusted text via `text`/`code`/`row`. */
export class MarkdownBuilder {
  private readonly parts: string[] = [];

  md(markdown: string): this {
    this.parts.push(markdown);
    return this;
  }

  text(value: string): this {
    this.parts.push(escapeMarkdown(value));
    return this;
  }

  /** `**Label:** value` on its own line; the value is escaped. */
  row(label: string, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    this.parts.push(`**${escapeMarkdown(label)}:** ${escapeMarkdown(value)}  \n`);
    return this;
  }

  code(value: string, language?: string): this {
    this.parts.push(codeBlock(value, language));
    return this;
  }

  line(): this {
    this.parts.push('\n\n');
    return this;
  }

  toString(): string {
    return this.parts.join('');
  }
}
