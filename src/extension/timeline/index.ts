/** The timeline webview's host side: what activate() wires in. */
export { registerTimelineSerializer, TimelinePanel, type TimelineContext } from './panel';
