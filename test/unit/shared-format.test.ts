import assert from 'node:assert/strict';
import { formatAge, formatDelta, formatDuration, relativeTime, relativeTimeNs } from '../../src/shared/format';

/** Each input → what people see. */
function table<T>(fn: (v: T) => string, rows: Array<[T, string]>): void {
  for (const [input, expected] of rows) assert.equal(fn(input), expected, String(input));
}

describe('shared formatting: durations', () => {
  it('formats durations for people, one format for the tree, hovers, the timeline and the CLI', () => {
    table(formatDuration, [
      [0, '0 ms'],
      [0.4213, '0.42 ms'],
      [0.004, '0.004 ms'],
      [4.5, '4.5 ms'],
      [18.4, '18 ms'],
      [1234, '1.23 s'],
      [10_000, '10.0 s'],
      [42_100, '42.1 s'],
      [125_000, '2m 05s'],
      [3_720_000, '1h 02m'],
    ]);
  });

  it('never rounds seconds up into a "60" (59.6 s past the minute is still that minute)', () => {
    table(formatDuration, [
      [119_600, '1m 59s'],
      [3_599_999, '59m 59s'],
    ]);
  });

  it('says — when there is no duration, and keeps the sign of a negative one', () => {
    table(formatDuration, [
      [null, '—'],
      [undefined, '—'],
      [NaN, '—'],
      [Infinity, '—'],
      [-1234, '-1.23 s'],
    ]);
  });

  it('formats signed deltas', () => {
    table(formatDelta, [
      [1200, '+1.20 s'],
      [-35, '-35 ms'],
      [0, '±0 ms'],
      [null, '—'],
    ]);
  });
});

describe('shared formatting: how long ago', () => {
  it('says just now under 45 s, then minutes, hours and days', () => {
    table(formatAge, [
      [0, 'just now'],
      [44_000, 'just now'],
      [45_000, '1 min ago'],
      [89_000, '1 min ago'],
      [30 * 60_000, '30 min ago'],
      [3 * 3_600_000, '3 h ago'],
      [2 * 86_400_000, '2 d ago'],
    ]);
  });

  it('reads the same from epoch milliseconds (webview) and epoch nanoseconds (store)', () => {
    const now = 1_700_000_000_000;
    for (const age of [10_000, 60_000, 7_200_000, 172_800_000]) {
      const ms = relativeTime(now - age, now);
      assert.equal(relativeTimeNs(BigInt(now - age) * 1_000_000n, BigInt(now) * 1_000_000n), ms);
      assert.equal(ms, formatAge(age));
    }
  });
});
