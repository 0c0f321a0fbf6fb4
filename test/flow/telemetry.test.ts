import { QUICK_OPEN_MS, classifyOpen } from '../../lib/flow/telemetry';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36';
const later = QUICK_OPEN_MS + 1;

describe('classifyOpen', () => {
  it.each([
    ['a HEAD, whatever its agent', { head: true, userAgent: CHROME, sinceSentMs: later }, 'head'],
    [
      'headless Chrome',
      { head: false, userAgent: 'Mozilla/5.0 HeadlessChrome/126', sinceSentMs: later },
      'scanner',
    ],
    ['no user agent', { head: false, userAgent: null, sinceSentMs: later }, 'scanner'],
    [
      'a preview fetcher',
      {
        head: false,
        userAgent: 'Mozilla/5.0 (compatible; SkypeUriPreview Preview/0.5)',
        sinceSentMs: later,
      },
      'scanner',
    ],
    [
      'a generic HTTP client',
      { head: false, userAgent: 'python-requests/2.31', sinceSentMs: later },
      'scanner',
    ],
    [
      'a browser within seconds of sending',
      { head: false, userAgent: CHROME, sinceSentMs: QUICK_OPEN_MS - 1 },
      'quick',
    ],
    [
      'a browser with parameters the link never has',
      { head: false, userAgent: CHROME, probe: true, sinceSentMs: later },
      'probe',
    ],
    [
      'a browser, later, with the link as sent',
      { head: false, userAgent: CHROME, sinceSentMs: later },
      'browser',
    ],
    [
      'a browser on a link sent before sending times were kept',
      { head: false, userAgent: CHROME, sinceSentMs: null },
      'browser',
    ],
  ] as const)('%s → %s', (_label, open, expected) => {
    expect(classifyOpen(open)).toBe(expected);
  });
});
