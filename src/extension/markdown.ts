/**
 * Markdown for tooltips and hovers built from untrusted trace text (span names, error
 * messages, attribute values, stack traces). Pure: no `vscode` import. Everything a trace
 * says goes through `text()` or `code()`; only our own fixed strings are raw markdown.
 */

/** Escape text so markdown shows it literally: no links, emphasis, HTML, theme icons. */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/[\\`*_{}[\]()#+\-.!|<>~$&:]/g, '\\$&')
    .replace(/\r?\n/g, '  \n') // keep line breaks as breaks, never as block syntax
    .replace(/^ +/gm, (m) => '&nbsp;'.repeat(m.length));
}

/** A fenced code block whose fence is longer than any backtick run inside (no break-out). */
export function codeBlock(value: string, language = 'text'): string {
  const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n${fence}${language}\n${value.replace(/\r\n/g, '\n')}\n${fence}\n`;
}

/** Inline code that cannot be broken out of (double-backtick form with padding). */
export function inlineCode(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ');
  const longest = Math.max(0, ...[...oneLine.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks} ${oneLine} ${ticks}`;
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
