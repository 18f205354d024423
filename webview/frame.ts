/** What one render of the waterfall reads: the model, the rows on screen and the view state's parts. DOM-free. */
import type { TimeWindow } from './layout';
import type { TimelineModel } from './model';

export interface Frame {
  model: TimelineModel;
  rows: Int32Array;
  view: TimeWindow;
  selectedPos: number;
  collapsed: ReadonlySet<string>;
  matchFlag: Uint8Array | null;
  query: string;
  /** Critical path flags when the highlight is on. */
  critical: Uint8Array | null;
  layout: 'overlay' | 'side';
  firstDivergencePos: number;
  now: number;
  focused: boolean;
}
