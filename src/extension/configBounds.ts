/**
 * Bounds for numeric settings. Pure: no `vscode` import. VS Code shows a setting's schema
 * minimum in the editor but hands any value to the extension, so every number is clamped
 * here before it decides anything (retention.maxRuns 0 would delete every run).
 */
import { SETTING_DEFAULTS } from '../shared/defaults';

export interface NumberBound {
  min: number;
  max: number;
  default: number;
  integer: boolean;
}

/** Keyed by the setting (without `runlens.`); package.json's minimum/maximum say the same (a test checks). */
export const NUMBER_BOUNDS = {
  'retention.maxRuns': { min: 10, max: 1_000_000, default: SETTING_DEFAULTS['retention.maxRuns'], integer: true },
  'retention.maxSizeMB': { min: 10, max: 1_000_000, default: SETTING_DEFAULTS['retention.maxSizeMB'], integer: false },
  'attributes.maxLength': { min: 256, max: 1_048_576, default: SETTING_DEFAULTS['attributes.maxLength'], integer: true },
  'collector.port': { min: 0, max: 65535, default: SETTING_DEFAULTS['collector.port'], integer: true },
  'collector.grpcPort': { min: 0, max: 65535, default: SETTING_DEFAULTS['collector.grpcPort'], integer: true },
} satisfies Record<string, NumberBound>;

export type BoundedKey = keyof typeof NUMBER_BOUNDS;

/** The setting's value within its bounds; anything that is not a finite number is the default. */
export function boundedNumber(key: BoundedKey, value: unknown): number {
  const b: NumberBound = NUMBER_BOUNDS[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return b.default;
  const v = b.integer ? Math.floor(value) : value;
  return Math.min(b.max, Math.max(b.min, v));
}
