/**
 * How a link opened in a browser that did not ask for it looks, for `link_opened_elsewhere`:
 * - `head`: a HEAD request, which no person's click makes;
 * - `scanner`: a user agent that names a link scanner, a preview fetcher or a headless browser;
 * - `quick`: opened within {@link QUICK_OPEN_MS} of sending, faster than a person reads mail;
 * - `probe`: query parameters the link never carries (`follow=true` and the like);
 * - `browser`: none of these, most likely a person on another device.
 * The first that applies wins. It is a hint for operators, never a security decision.
 */
export type OpenClassification = 'head' | 'scanner' | 'quick' | 'probe' | 'browser';

/** Opened sooner than this after sending looks like a machine. */
export const QUICK_OPEN_MS = 10_000;

// Agents seen opening emailed links: headless browsers (Defender's detonation, Mimecast and
// Proofpoint sandboxes run headless Chrome), preview fetchers and generic HTTP clients.
const SCANNER_AGENT =
  /headless|phantomjs|puppeteer|playwright|selenium|bot\b|crawler|spider|preview|urldefense|proofpoint|mimecast|barracuda|safelinks|google-safety|googleimageproxy|microsoft office|ms-office|msoffice|skypeuripreview|curl\/|wget\/|python-requests|python-urllib|go-http-client|java\/|okhttp|node-fetch|undici|axios|libwww|httpclient/i;

export function classifyOpen(open: {
  head: boolean;
  userAgent?: string | null;
  probe?: boolean;
  sinceSentMs: number | null;
}): OpenClassification {
  if (open.head) return 'head';
  const ua = open.userAgent ?? '';
  if (ua === '' || SCANNER_AGENT.test(ua)) return 'scanner';
  if (open.sinceSentMs !== null && open.sinceSentMs < QUICK_OPEN_MS) return 'quick';
  if (open.probe) return 'probe';
  return 'browser';
}
