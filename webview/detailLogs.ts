/**
 * The span detail's Logs section: the span's OpenTelemetry log records (sent by the host with
 * the detail, at or above the severity the user chose), each with its time from the span's
 * start, a severity badge and its body (long bodies expand like long attributes; the
 * record's attributes show on expand), and the severity filter kept in the view state. All
 * trace text goes in as text nodes.
 */
import { formatDuration } from '../src/shared/format';
import { LOG_LEVELS, severityName, type LogView, type SpanCore, type SpanDetailView } from '../src/shared/protocol';
import { el } from './dom';
import { attrToText, longText, section, type DetailContext } from './detailParts';

/** What the section reads of and asks the page: the severity shown, and a new one chosen. */
export interface LogFilter {
  logSeverity(): number;
  setLogSeverity(min: number): void;
}

function severityFilter(f: LogFilter): HTMLSelectElement {
  const select = el('select', 'd-log-level');
  select.setAttribute('aria-label', 'Least severity of the log records shown');
  select.title = 'Show log records of this severity or worse';
  for (const l of LOG_LEVELS) {
    const o = el('option', undefined, `≥ ${l.name}`);
    o.value = String(l.min);
    select.appendChild(o);
  }
  select.value = String(f.logSeverity());
  select.addEventListener('click', (e) => e.stopPropagation());
  select.addEventListener('change', () => f.setLogSeverity(Number(select.value)));
  return select;
}

function record(cx: DetailContext, span: SpanCore, r: LogView, i: number): HTMLElement {
  const li = el('li', 'd-log');
  const level = severityName(r.severity);
  const head = el('div', 'd-log-head');
  head.append(
    el('span', 'd-log-time', `+${formatDuration(Math.max(r.offsetMs - span.startMs, 0))}`),
    el('span', `d-log-sev sev-${level}`, r.severityText || level.toUpperCase()),
  );
  li.appendChild(head);
  li.appendChild(longText(cx, span.id, `log#${i}`, r.body, 'd-log-body'));
  const keys = Object.keys(r.attributes);
  if (keys.length) {
    const more = el('details', 'd-log-attrs');
    more.appendChild(el('summary', undefined, `${keys.length} attribute${keys.length === 1 ? '' : 's'}`));
    for (const k of keys) {
      const line = el('div', 'd-ev-attr');
      line.append(el('span', 'd-ev-key', k), el('span', 'd-ev-val', attrToText(r.attributes[k]!)));
      more.appendChild(line);
    }
    li.appendChild(more);
  }
  return li;
}

/** The Logs section, when the span has log records (or a filter hides them). */
export function logsSection(cx: DetailContext, frag: Node, span: SpanCore, detail: SpanDetailView, f: LogFilter, hasLogs: boolean): void {
  const logs = detail.logs;
  if (!logs || (!logs.records.length && !hasLogs)) return;
  const sec = section(frag, 'Logs', logs.records.length);
  sec.classList.add('d-logs');
  (sec.firstChild as HTMLElement).appendChild(severityFilter(f));
  if (logs.minSeverity !== f.logSeverity()) sec.appendChild(el('div', 'd-loading-logs muted', 'Loading log records…'));
  if (!logs.records.length) {
    sec.appendChild(el('div', 'd-none', `No log records at ${severityName(logs.minSeverity)} or above.`));
    return;
  }
  const list = el('ol', 'd-logs-list');
  logs.records.forEach((r, i) => list.appendChild(record(cx, span, r, i)));
  sec.appendChild(list);
  if (logs.more) sec.appendChild(el('div', 'd-none', `Only the first ${logs.records.length} records are shown.`));
}
