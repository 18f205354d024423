/**
 * Where forwarded traces go: the OTLP/HTTP traces URL of an endpoint given as a base
 * (`http://collector:4318`, as OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` is appended to its
 * path) or as the traces URL itself (ending in `/v1/traces`, as
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
 */

/** An endpoint that cannot be forwarded to; the message says why (a usage error in the CLI). */
export class ForwardEndpointError extends Error {}

const MAX_ENDPOINT = 2048;

export function tracesUrl(endpoint: string): URL {
  const text = endpoint.trim();
  if (!text) throw new ForwardEndpointError('the forwarding endpoint is empty');
  if (text.length > MAX_ENDPOINT) throw new ForwardEndpointError(`the forwarding endpoint is longer than ${MAX_ENDPOINT} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ForwardEndpointError('the forwarding endpoint must be an http:// or https:// URL, e.g. http://otel-collector:4318');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ForwardEndpointError(`the forwarding endpoint must be http:// or https://, not ${url.protocol.slice(0, 20)}`);
  // Credentials in the URL would be printed wherever the endpoint is shown.
  if (url.username || url.password)
    throw new ForwardEndpointError('put credentials in OTEL_EXPORTER_OTLP_HEADERS, not in the forwarding endpoint URL');
  url.hash = '';
  if (!/\/v1\/traces\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url;
}

/** The endpoint as shown to the user (scheme, host, path; never a query string, which may carry a key). */
export function shownEndpoint(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
