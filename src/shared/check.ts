/**
 * The building blocks of the hand-written checks of what the webview receives
 * (hostMessages.ts, spanColumns.ts): no library, so nothing but these functions reaches the
 * webview bundle's first-paint path. Each check returns null when the value is valid, else
 * "reason at path". Objects must be plain; unknown keys are ignored (and never read); absent
 * optional fields are undefined.
 */

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

/** A plain object (`{}` or `Object.create(null)`): no array, class instance or exotic prototype. */
export const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

export type Check = (v: unknown, at: string) => string | null;
export const at = (path: string) => (path ? ` at ${path}` : '');
export const str =
  (min = 0): Check =>
  (v, p) =>
    typeof v !== 'string' ? `must be a string${at(p)}` : v.length < min ? `must not be empty${at(p)}` : null;
export const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `must be a finite number${at(p)}`);
export const nonNeg: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : `must be a number >= 0${at(p)}`);
export const int: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : `must be an integer${at(p)}`);
export const nat: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : `must be an integer >= 0${at(p)}`);
export const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `must be a boolean${at(p)}`);
export const oneOf =
  (values: readonly string[]): Check =>
  (v, p) =>
    typeof v === 'string' && values.includes(v) ? null : `must be one of ${values.join(', ')}${at(p)}`;
export const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? null : c(v, p);
export const optional =
  (c: Check): Check =>
  (v, p) =>
    v === undefined ? null : c(v, p);
export const arrayOf =
  (c: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `must be an array${at(p)}`;
    for (let i = 0; i < v.length; i++) {
      const e = c(v[i], `${p}.${i}`);
      if (e) return e;
    }
    return null;
  };
export const object =
  (shape: Record<string, Check>): Check =>
  (v, p) => {
    if (!isRecord(v)) return `must be an object${at(p)}`;
    for (const k in shape) {
      const e = shape[k]!(v[k], p ? `${p}.${k}` : k);
      if (e) return e;
    }
    return null;
  };
export const record =
  (c: Check): Check =>
  (v, p) => {
    if (!isRecord(v)) return `must be an object${at(p)}`;
    for (const k in v) {
      const e = c(v[k], `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };
