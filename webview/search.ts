/**
 * Search over the step names: the matching positions, the flag per position the rows are
 * highlighted from, stepping between matches, and the count the search field shows. DOM-free.
 */
import { rowIndexOf, searchPositions, stepMatch, type Tree } from './tree';

export class Matches {
  /** Matching positions, ascending. */
  positions: Int32Array = new Int32Array(0);
  /** 1 per matching position; null when nothing matches. */
  flag: Uint8Array | null = null;
  private query = '';

  update(tree: Tree, textOf: (p: number) => string, query: string): void {
    this.query = query;
    this.positions = searchPositions(tree, textOf, query);
    this.flag = null;
    if (!this.positions.length) return;
    this.flag = new Uint8Array(tree.size);
    for (const p of this.positions) this.flag[p] = 1;
  }

  /** The match to go to from position `from` (-1: none): `from` itself when it matches and `stay`, else the next/previous. */
  step(from: number, dir: 1 | -1, stay = false): number {
    if (stay && from >= 0 && this.flag?.[from]) return from;
    return stepMatch(this.positions, from, dir);
  }

  /** "3 of 12", "12 found", "No results", or nothing without a query. */
  countText(selPos: number): string {
    const n = this.positions.length;
    if (!this.query.trim()) return '';
    if (!n) return 'No results';
    const k = selPos >= 0 && this.flag?.[selPos] ? rowIndexOf(this.positions, selPos) + 1 : 0;
    return k ? `${k} of ${n}` : `${n} found`;
  }
}
