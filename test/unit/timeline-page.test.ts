/** The timeline's page (HTML and CSP) and the views of runs and spans sent to it, built on the host. */
import assert from 'node:assert/strict';
import { makeNonce, timelineHtml } from '../../src/extension/timeline/html';
import { toRunView, toSpanView } from '../../src/extension/timeline/views';
import { loadFixture } from '../fixtures/timeline/load';

describe('timeline page and views (host side)', () => {
  it('builds a static page with a strict CSP, a fresh nonce on its one script and no inline code', () => {
    const nonce = makeNonce();
    assert.notEqual(nonce, makeNonce());
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    const html = timelineHtml({
      cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
      scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/timeline.js',
      styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/timeline.css',
      nonce,
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, '\\$&')}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = html.match(/<script\b[^>]*>/g)!;
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]!, /nonce=".+" src=".+timeline\.js"/);
    assert.doesNotMatch(html, /<style|\sstyle="|\son\w+="/);
  });

  it("shows the run's name, status and span count as a loading state in the page itself, as text", () => {
    const html = timelineHtml({
      cspSource: 'https://x.invalid',
      scriptUri: 'https://x.invalid/timeline.js',
      styleUri: 'https://x.invalid/timeline.css',
      nonce: makeNonce(),
      header: { name: `<img src=x onerror="alert(1)"> & 'q'`, status: 'RUNNING', spanCount: 100_000 },
    });
    assert.match(html, /<span class="tl-run-name">&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt; &amp; &#39;q&#39;<\/span>/);
    assert.match(html, /Loading 100,000 spans…/);
    assert.match(html, /tl-boot-dot st-running/);
    assert.doesNotMatch(html, /<img|<style|\sstyle="|\son\w+="/);
    // A status that is not a status word never reaches a class or the text.
    const odd = timelineHtml({
      cspSource: 'c',
      scriptUri: 's',
      styleUri: 't',
      nonce: 'n',
      header: { name: 'r', status: 'x" onclick="y', spanCount: 1 },
    });
    assert.doesNotMatch(odd, /onclick/);
    assert.match(odd, /Loading 1 span…/);
  });

  it('converts spans to offsets from the run start, JSON-safe, with no duration while open', () => {
    const fx = loadFixture('agent-failed');
    const run = fx.run;
    const hb = fx.spans.find((s) => s.name === 'heartbeat')!;
    const view = toSpanView({ ...hb, attributes: { ...hb.attributes, bad: NaN, deep: { a: { b: [Infinity] } } } }, run, () => undefined);
    assert.equal(view.startMs, 3000);
    assert.equal(view.durationMs, null);
    assert.equal(view.status, 'INCOMPLETE');
    assert.equal(view.statusLabel, 'HUNG');
    assert.equal(view.error, 'never ended (hung or killed)');
    assert.deepEqual(view.attributes.bad, 'NaN');
    assert.deepEqual(view.attributes.deep, { a: { b: ['Infinity'] } });
    assert.equal(view.source, null);
    const early = toSpanView({ ...hb, startNs: run.startNs - 5_000_000n }, run);
    assert.equal(early.startMs, -5);
    const r = toRunView(run);
    assert.equal(r.durationMs, 9130);
    assert.equal(r.errorSummary, 'ValueError: duplicate test ids: t1');
    // Plain JSON: survives a JSON round trip unchanged (no bigint, no undefined, no NaN).
    assert.deepEqual(JSON.parse(JSON.stringify({ r, view })), { r, view });
    // A resolver that throws does not break the timeline.
    assert.equal(
      toSpanView(hb, run, () => {
        throw new Error('boom');
      }).source,
      null,
    );
  });
});
