/** The timeline webview's host side: what activate() wires in. */
export { registerTimelineSerializer, TimelinePanel, TIMELINE_VIEW_TYPE, type ShowOptions, type TimelineContext } from './panel';
export type { TimelineLog, TimelineStore } from './session';
