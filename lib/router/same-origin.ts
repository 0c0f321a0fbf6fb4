/** The request headers the same-origin check reads. */
export interface OriginHeaders {
  origin?: string | undefined;
  'sec-fetch-site'?: string | string[] | undefined;
  referer?: string | undefined;
}

/**
 * Whether a state-changing request comes from the app's own pages (threat model S4). Pure:
 * headers and the configured origin in, a verdict out; the Host header is never consulted.
 */
export function isSameOrigin(headers: OriginHeaders, origin: string): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const claimed = headers.origin;
  // Under `Referrer-Policy: no-referrer` (helmet's default) Chromium sends `Origin: null` on a
  // page's own form POSTs. Sec-Fetch-Site cannot be set by page script, so it decides then.
  if (claimed === 'null') return site === 'same-origin';
  if (claimed !== undefined) return claimed === origin;
  if (site === 'same-origin') return true;
  const referer = headers.referer;
  if (referer !== undefined) {
    try {
      return new URL(referer).origin === origin;
    } catch {
      return false;
    }
  }
  // Browsers send Origin on every cross-origin POST; a request with neither header is not
  // from a browser that could carry the victim's cookies.
  return true;
}
