/**
 * The sections of the span detail panel below its header (detail.ts): the error with a
 * linked stack trace, the LLM fields, the attributes (grid with expandable long values and
 * copy) and the events. All trace text goes in as text nodes.
 */
import type { AttrJson, SpanCore, SpanDetailView } from '../src/shared/protocol';
import { custom, el } from './dom';
import { formatDuration } from '../src/shared/format';
import { parseStack } from '../src/shared/stack';
import { attrToText, breakable, clipText, copyButton, longText, MAX_ATTRS, section, type DetailContext } from './detailParts';

const isLlmKey = (k: string) => k.startsWith('gen_ai.') || k.startsWith('llm.') || k === 'input.value' || k === 'output.value';

function pick(attrs: Record<string, AttrJson>, ...keys: string[]): AttrJson | undefined {
  for (const k of keys) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== '') return attrs[k];
  return undefined;
}

export function errorSection(cx: DetailContext, frag: Node, span: SpanCore, detail: SpanDetailView | null | undefined): void {
  const ex = detail?.events.find((e) => e.name === 'exception');
  if (!span.error && !ex) return;
  const sec = section(frag, span.status === 'INCOMPLETE' ? 'Problem' : 'Error');
  sec.classList.add('d-error');
  if (span.error) sec.appendChild(el('div', 'd-error-summary', span.error));
  const stack = ex?.attributes['exception.stacktrace'];
  if (typeof stack === 'string' && stack) {
    const bar = el('div', 'd-subhead');
    bar.appendChild(el('span', undefined, 'Stack trace'));
    bar.appendChild(copyButton(cx, () => stack, 'Copy stack trace'));
    sec.appendChild(bar);
    const pre = el('pre', 'd-stack');
    for (const line of parseStack(stack)) {
      const div = el('div', 'd-stack-line');
      if (line.file !== undefined && line.line !== undefined) {
        const a = el('a', 'frame', line.text);
        a.href = '#';
        a.title = `Open ${line.file}:${line.line}`;
        const { file, line: ln, column } = line;
        a.addEventListener('click', (e) => {
          e.preventDefault();
          cx.ev.openSource(file, ln, column);
        });
        div.appendChild(a);
      } else div.textContent = line.text || '\u00a0';
      pre.appendChild(div);
    }
    sec.appendChild(pre);
  }
}

export function llmSection(cx: DetailContext, frag: Node, span: SpanCore, detail: SpanDetailView): void {
  const a = detail.attributes;
  if (!Object.keys(a).some(isLlmKey)) return;
  const sec = section(frag, 'LLM');
  sec.classList.add('d-llm');
  const facts = el('dl', 'd-facts');
  const fact = (k: string, v: AttrJson | undefined) => {
    if (v === undefined) return;
    facts.append(el('dt', undefined, k), el('dd', undefined, attrToText(v)));
  };
  fact('Model', pick(a, 'gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name'));
  fact('Provider', pick(a, 'gen_ai.system', 'gen_ai.provider.name', 'llm.provider', 'llm.system'));
  const num = (v: AttrJson | undefined) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
  const prompt = num(pick(a, 'llm.token_count.prompt', 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'));
  const completion = num(pick(a, 'llm.token_count.completion', 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'));
  const total =
    num(pick(a, 'llm.token_count.total')) ?? (prompt !== undefined && completion !== undefined ? prompt + completion : undefined);
  if (prompt !== undefined || completion !== undefined || total !== undefined) {
    const parts = [
      prompt !== undefined ? `${prompt.toLocaleString('en-US')} in` : '',
      completion !== undefined ? `${completion.toLocaleString('en-US')} out` : '',
      total !== undefined ? `${total.toLocaleString('en-US')} total` : '',
    ].filter(Boolean);
    fact('Tokens', parts.join(' · '));
  }
  fact('Temperature', pick(a, 'gen_ai.request.temperature', 'llm.invocation_parameters.temperature'));
  fact('Finish', pick(a, 'gen_ai.response.finish_reasons', 'llm.finish_reason'));
  if (facts.childElementCount) sec.appendChild(facts);
  const block = (title: string, v: AttrJson | undefined, key: string) => {
    if (v === undefined) return;
    let text = attrToText(v);
    if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
      try {
        text = JSON.stringify(JSON.parse(v), null, 2);
      } catch {
        /* not JSON: show as is */
      }
    }
    const bar = el('div', 'd-subhead');
    bar.appendChild(el('span', undefined, title));
    bar.appendChild(copyButton(cx, () => text, `Copy ${title.toLowerCase()}`));
    sec.appendChild(bar);
    sec.appendChild(longText(cx, span.id, key, text, 'd-llm-text', detail.truncated[key]));
  };
  block('Input', pick(a, 'input.value', 'gen_ai.prompt'), 'input.value');
  block('Output', pick(a, 'output.value', 'gen_ai.completion'), 'output.value');
}

export function attributesSection(cx: DetailContext, frag: Node, span: SpanCore, detail: SpanDetailView): void {
  const keys = Object.keys(detail.attributes).sort();
  const sec = section(frag, 'Attributes', keys.length);
  if (!keys.length) {
    sec.appendChild(el('div', 'd-none', 'No attributes.'));
    return;
  }
  const grid = custom('vscode-data-grid', {
    'aria-label': 'Attributes',
    'grid-template-columns': '38% 1fr 30px',
    'generate-header': 'none',
  });
  grid.classList.add('d-attrs');
  for (const key of keys.slice(0, MAX_ATTRS)) {
    const value = detail.attributes[key]!;
    const text = attrToText(value);
    const row = custom('vscode-data-grid-row');
    const k = custom('vscode-data-grid-cell', { 'grid-column': '1' });
    k.classList.add('d-key');
    breakable(k, key);
    k.title = key;
    const v = custom('vscode-data-grid-cell', { 'grid-column': '2' });
    v.classList.add(typeof value === 'string' ? 'v-str' : 'v-json');
    v.appendChild(longText(cx, span.id, key, text, '', detail.truncated[key]));
    const c = custom('vscode-data-grid-cell', { 'grid-column': '3' });
    c.appendChild(copyButton(cx, () => text, `Copy value of ${key}`));
    row.append(k, v, c);
    grid.appendChild(row);
  }
  sec.appendChild(grid);
  if (keys.length > MAX_ATTRS) sec.appendChild(el('div', 'd-none', `… and ${keys.length - MAX_ATTRS} more`));
}

export function eventsSection(frag: Node, span: SpanCore, detail: SpanDetailView): void {
  if (!detail.events.length) return;
  const sec = section(frag, 'Events', detail.events.length);
  const list = el('ol', 'd-events');
  for (const e of detail.events.slice(0, 500)) {
    const li = el('li');
    const head = el('div', 'd-ev-head');
    head.append(el('span', 'd-ev-time', `+${formatDuration(e.offsetMs - span.startMs)}`), el('span', 'd-ev-name', e.name));
    li.appendChild(head);
    for (const [k, v] of Object.entries(e.attributes)) {
      if (k === 'exception.stacktrace') continue;
      const line = el('div', 'd-ev-attr');
      line.append(el('span', 'd-ev-key', k), el('span', 'd-ev-val', clipText(attrToText(v), attrToText(v).split('\n'))));
      li.appendChild(line);
    }
    list.appendChild(li);
  }
  sec.appendChild(list);
}
