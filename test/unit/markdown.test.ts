/**
 * Trace text in hovers and tooltips, rendered with `marked` (the CommonMark renderer VS Code
 * uses for MarkdownStrings): hostile span names, status messages and ids produce no link, no
 * image and no HTML, cannot end a code block, and never share a MarkdownString that may run
 * commands.
 */
import { strict as assert } from 'node:assert';
import { Marked, type Token, type Tokens } from 'marked';
import { failureHover } from '../../src/extension/hover';
import { codeBlock, escapeMarkdown, MarkdownBuilder } from '../../src/extension/markdown';
import type { FailureFact } from '../../src/extension/sourceIndex';

const marked = new Marked({ gfm: true });

/** Every link, image and raw HTML a markdown string renders to, as VS Code's renderer would see them. */
function active(md: string): { links: string[]; images: string[]; html: string[]; codes: string[] } {
  const out = { links: [] as string[], images: [] as string[], html: [] as string[], codes: [] as string[] };
  marked.walkTokens(marked.lexer(md), (t: Token) => {
    if (t.type === 'link') out.links.push((t as Tokens.Link).href);
    else if (t.type === 'image') out.images.push((t as Tokens.Image).href);
    else if (t.type === 'html') out.html.push((t as Tokens.HTML).text);
    else if (t.type === 'code') out.codes.push((t as Tokens.Code).text);
  });
  return out;
}

/** The text a reader sees (tags dropped, entities decoded). */
function visibleText(md: string): string {
  const html = marked.parse(md, { async: false }) as string;
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', nbsp: ' ' };
  return html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/\u00a0/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) =>
      e.startsWith('#x') || e.startsWith('#X')
        ? String.fromCodePoint(parseInt(e.slice(2), 16))
        : e.startsWith('#')
          ? String.fromCodePoint(Number(e.slice(1)))
          : (named[e] ?? whole),
    )
    .replace(/\u00a0/g, ' ');
}

const LINK = '[Run it](command:runlens.openTimeline?%5B%7B%22runId%22%3A%22evil%22%7D%5D)';
const IMAGE = '![](https://evil.example/beacon.png)';
const HOSTILE: string[] = [
  // The reported break-out: a closing fence indented by one space.
  `boom\n \`\`\`\n${LINK} ${IMAGE}\n<img src=x onerror=alert(1)>`,
  `boom\n   \`\`\`\`\`\`\`\`\n${LINK}\n\n${IMAGE}`,
  `boom\n~~~\n${LINK} ${IMAGE}`,
  `boom\r\`\`\`\r${LINK} ${IMAGE}\r<script>alert(1)</script>`,
  `\`\`\`\n${LINK}\n\`\`\``,
  `x\n\n    indented\n\n# Heading\n> quote\n- item\n1. item\n---\n===\n${LINK}`,
  `see https://evil.example/x and www.evil.example and mail@evil.example <https://evil.example>`,
  `[a]: https://evil.example/ref\n\n[a] [a][] ${IMAGE.replace('https', 'javascript')}`,
  `$(zap) &lt;b&gt; &#60;img&#62; \\<img src=x\\> <b>bold</b> <!-- c --> <?pi?> <![CDATA[x]]>`,
  `line\u2028${LINK}\u0000${IMAGE}\t\t<a href="command:workbench.action.terminal.new">t</a>`,
];

function fact(over: Partial<FailureFact>): FailureFact {
  return {
    runId: 'r1',
    runName: 'nightly',
    workflow: 'nightly',
    runStartNs: 1_700_000_000_000_000_000n,
    spanId: 's1',
    step: 'validate',
    stepPath: 'pipeline › validate',
    status: 'ERROR',
    file: '/ws/flow.py',
    line: 3,
    error: 'ValueError: x',
    atNs: 1_700_000_000_000_000_000n,
    outerFrames: [],
    ...over,
  };
}

describe('markdown from trace text', () => {
  describe('the failure hover', () => {
    const cases: FailureFact[] = [
      ...HOSTILE.map((error) => fact({ error })),
      ...HOSTILE.map((step) => fact({ step })),
      ...HOSTILE.map((runName) => fact({ runName })),
      fact({ runId: `x) ${IMAGE} [y](command:runlens.openTimeline?1`, spanId: '") <img src=x>' }),
    ];

    it('keeps trace text out of the MarkdownString that may run commands, which holds only our own links', () => {
      for (const f of cases) {
        const parts = failureHover(
          [f],
          () => [{ runId: f.runId, runName: f.runName, runStartNs: 0n, spanId: 's', status: 'ERROR' }],
          f.atNs,
        );
        for (const p of parts.filter((x) => x.enabledCommands.length)) {
          assert.deepEqual(p.enabledCommands, ['runlens.openTimeline'], 'only the commands the hover uses');
          const a = active(p.markdown);
          assert.deepEqual(a.images, [], `image in trusted hover:\n${p.markdown}`);
          assert.deepEqual(a.html, [], `HTML in trusted hover:\n${p.markdown}`);
          for (const href of a.links) {
            assert.ok(href.startsWith('command:runlens.openTimeline?'), `foreign link ${href} in trusted hover:\n${p.markdown}`);
            assert.deepEqual(
              JSON.parse(decodeURIComponent(href.slice('command:runlens.openTimeline?'.length))),
              [{ runId: f.runId, spanId: f.spanId }],
              `forged arguments in ${href}`,
            );
          }
          for (const text of [f.error, f.step, f.runName])
            assert.ok(!p.markdown.includes(text), `trace text ${JSON.stringify(text)} inside the trusted hover`);
        }
      }
    });

    it('renders trace text with no link, image or HTML, and the status message whole in one code block', () => {
      for (const f of cases) {
        const parts = failureHover([f], () => [], f.atNs);
        const untrusted = parts.filter((x) => !x.enabledCommands.length);
        assert.ok(untrusted.length, 'trace text has an untrusted part of its own');
        for (const p of untrusted) {
          assert.equal(p.themeIcons, false);
          const a = active(p.markdown);
          assert.deepEqual([a.links, a.images, a.html], [[], [], []], p.markdown);
        }
        const codes = untrusted.flatMap((p) => active(p.markdown).codes);
        assert.deepEqual(codes, [f.error.replace(/\r\n?/g, '\n').replace(/\0/g, '\ufffd')]);
      }
    });
  });

  describe('tooltips', () => {
    it('show hostile text literally: no link, image or HTML, and the same characters the trace sent', () => {
      for (const s of HOSTILE) {
        const md = new MarkdownBuilder().md('**').text(s).md('**\n\n').row(s, s).toString();
        const a = active(md);
        assert.deepEqual([a.links, a.images, a.html, a.codes], [[], [], [], []], md);
        const seen = visibleText(escapeMarkdown(s)).replace(/\s+/g, ' ').trim();
        assert.equal(seen, s.replace(/\0/g, '\ufffd').replace(/\s+/g, ' ').trim());
      }
    });

    it('escape < and > as HTML entities, not backslashes (which a plain-text render turns back into tags)', () => {
      const md = escapeMarkdown('<img src=x onerror=alert(1)> a<b>c');
      assert.ok(!/[<>]/.test(md), md);
      assert.ok(!/\\[<>&]/.test(md), md);
    });
  });

  describe('codeBlock', () => {
    it('cannot be closed by indented fences, tildes, lone CRs or longer fences inside', () => {
      for (const s of HOSTILE) {
        const md = `before\n${codeBlock(s)}after`;
        const a = active(md);
        assert.deepEqual([a.links, a.images, a.html], [[], [], []], md);
        assert.deepEqual(a.codes, [s.replace(/\r\n?/g, '\n').replace(/\0/g, '\ufffd')], md);
      }
    });
  });
});
