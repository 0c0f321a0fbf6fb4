import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MailMessage, Mailer } from './mailer';
import { maskEmail } from '../flow/pending';
import { escapeHtml } from '../html';

/** One message as the development mailbox keeps it, and as `GET …/mailbox.json` returns it. */
export interface DevMailboxEntry {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Every `http:`/`https:` URL in the text body (or, failing that, in the HTML hrefs), in order. */
  links: string[];
  /** The 6-digit one-time code, if the email has one. */
  code: string | null;
  /** When it was recorded, as an ISO 8601 string. */
  sentAt: string;
}

/** Options of {@link devMailbox}. */
export interface DevMailboxOptions {
  /**
   * How many messages to keep; older ones are dropped.
   *
   * @default DEFAULT_DEV_MAILBOX_MAX (50)
   */
  max?: number;
  /**
   * Where the one-line notice of each message goes.
   *
   * @default console.log
   */
  log?: (line: string) => void;
}

/** A plain Connect middleware; it works with `app.use()` in Express 4 and 5 and with `connect`. */
export type DevMailboxHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** A {@link Mailer} that delivers nowhere: it logs the link and keeps the latest messages. */
export interface DevMailbox extends Mailer {
  /** The kept messages, newest first. A snapshot: later messages do not change it. */
  readonly messages: readonly DevMailboxEntry[];
  /**
   * Keeps a message that went out some other way (SMTP, the WorkOS emulator's outbox) so it shows
   * in the mailbox too, and logs it like `send` does. `code` overrides the code found in the text.
   */
  record(message: MailMessage & { code?: string | null }): void;
  /** Forgets every kept message. */
  clear(): void;
  /**
   * Serves `GET <mount>/mailbox` (an HTML page) and `GET <mount>/mailbox.json` (the entries,
   * newest first); anything else goes to `next()`. The page has no script, so it works under
   * helmet's default Content-Security-Policy.
   */
  handler(): DevMailboxHandler;
}

/** How many messages {@link devMailbox} keeps by default. */
export const DEFAULT_DEV_MAILBOX_MAX = 50;

const MAX_LIMIT = 10_000;
const CODE = /^[0-9]{6}$/;
const CODE_IN_TEXT = /\bcode\b[^0-9]{0,80}?(?<![0-9])([0-9]{6})(?![0-9])/i;
/** The default template puts the code on a line of its own, in every language. */
const CODE_LINE = /^[ \t]*([0-9]{6})[ \t]*$/m;
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const HREF_IN_HTML = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function isHttpUrl(candidate: string): boolean {
  try {
    const { protocol } = new URL(candidate);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (whole, ref: string) => {
    const lower = ref.toLowerCase();
    if (lower.startsWith('#x')) return safeFromCodePoint(parseInt(lower.slice(2), 16), whole);
    if (lower.startsWith('#')) return safeFromCodePoint(parseInt(lower.slice(1), 10), whole);
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? whole;
  });
}

function safeFromCodePoint(n: number, fallback: string): string {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : fallback;
}

/** The `http:`/`https:` links of an email: from the text body, or from the HTML if it has none. */
export function extractLinks(text: string, html = ''): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(URL_IN_TEXT)) {
    found.push(match[0].replace(TRAILING_PUNCTUATION, ''));
  }
  if (found.length === 0) {
    for (const match of html.matchAll(HREF_IN_HTML)) {
      found.push(decodeEntities(match[1] ?? match[2] ?? '').trim());
    }
  }
  return [...new Set(found.filter(isHttpUrl))];
}

/**
 * A 6-digit number that follows the word "code" in the text body, else one alone on its line (an
 * email in a language that has no word "code"), or `null`.
 */
export function extractCode(text: string): string | null {
  return CODE_IN_TEXT.exec(text)?.[1] ?? CODE_LINE.exec(text)?.[1] ?? null;
}

function oneLine(value: string): string {
  return value.replace(CONTROL_CHARS_GLOBAL, ' ');
}

function requestPath(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

const PAGE_STYLE = `
body{margin:0;padding:24px;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;background:#f4f4f5}
main{max-width:860px;margin:0 auto}
h1{font-size:22px;margin:0 0 4px}
.note{color:#4b5563;margin:0 0 24px}
article{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{font-size:17px;margin:0 0 4px}
.meta{color:#4b5563;font-size:13px;margin:0 0 12px}
.code{font:700 26px/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:4px;margin:0 0 12px}
ul{padding-left:20px;margin:0 0 12px}
a{color:#2563eb;word-break:break-all}
pre{white-space:pre-wrap;word-break:break-word;background:#f9fafb;border:1px solid #e5e7eb;border-radius:6px;padding:12px;margin:0;font-size:13px}
`;

function renderPage(entries: readonly DevMailboxEntry[], max: number): string {
  const e = escapeHtml;
  const items = entries.map((m) =>
    [
      '<article>',
      `<h2>${e(m.subject)}</h2>`,
      `<p class="meta">To ${e(m.to)} · <time datetime="${e(m.sentAt)}">${e(m.sentAt)}</time></p>`,
      ...(m.code === null
        ? []
        : [`<p class="code" aria-label="Code ${e(m.code.split('').join(' '))}">${e(m.code)}</p>`]),
      ...(m.links.length === 0
        ? []
        : [
            '<ul>',
            ...m.links
              .filter(isHttpUrl)
              .map((link) => `<li><a href="${e(link)}" rel="noreferrer">${e(link)}</a></li>`),
            '</ul>',
          ]),
      `<pre>${e(m.text)}</pre>`,
      '</article>',
    ].join('\n'),
  );
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>Development mailbox</title>',
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<h1>Development mailbox</h1>',
    `<p class="note">Newest first, at most ${max}. Nothing here was delivered. <a href="mailbox">Refresh</a> · <a href="mailbox.json">JSON</a></p>`,
    ...(entries.length === 0 ? ['<p>No messages yet.</p>'] : items),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function reply(req: IncomingMessage, res: ServerResponse, contentType: string, body: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // The page lists live sign-in links; keep them out of Referer headers and other sites' frames.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * A mailer for development: instead of delivering, it logs one line per message with the
 * sign-in link (`[dev-mailbox] to a•••@example.com: http://localhost:3000/auth/callback?…`) and
 * keeps the latest messages for a page at `<mount>/mailbox`. It refuses to start when
 * `NODE_ENV` is `production`, because a log is no place for a sign-in link anywhere else.
 *
 * @throws TypeError when `NODE_ENV === 'production'` or the options are invalid.
 * @example
 * const mailbox = devMailbox();
 * app.use('/dev', mailbox.handler()); // http://localhost:3000/dev/mailbox
 * app.use(magicLinkRouter({ provider: selfHostedProvider({ … }), mailer: mailbox, … }));
 */
export function devMailbox(options: DevMailboxOptions = {}): DevMailbox {
  if (process.env.NODE_ENV === 'production') {
    throw new TypeError(
      'devMailbox: NODE_ENV is production, and the dev mailbox prints sign-in links to the log and its page shows them to whoever opens it. Fix: use smtpMailer(), a service mailer such as resendMailer(), or your own Mailer in production.',
    );
  }
  const max = options.max ?? DEFAULT_DEV_MAILBOX_MAX;
  if (!Number.isInteger(max) || max < 1 || max > MAX_LIMIT) {
    throw new TypeError(
      `devMailbox: max must be an integer from 1 to ${MAX_LIMIT}. Fix: leave it out for ${DEFAULT_DEV_MAILBOX_MAX}.`,
    );
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new TypeError(
      'devMailbox: log must be a function that takes one line. Fix: e.g. log: (line) => logger.info(line).',
    );
  }
  const log = options.log ?? ((line: string) => console.log(line));
  let entries: readonly DevMailboxEntry[] = Object.freeze([]);

  function record(message: MailMessage & { code?: string | null }): void {
    const { to, subject, text, html } = message;
    if (
      typeof to !== 'string' ||
      typeof subject !== 'string' ||
      typeof text !== 'string' ||
      typeof html !== 'string'
    ) {
      throw new TypeError(
        'devMailbox: record() needs a message with string to, subject, text and html.',
      );
    }
    if (
      message.code !== undefined &&
      message.code !== null &&
      (typeof message.code !== 'string' || !CODE.test(message.code))
    ) {
      throw new TypeError('devMailbox: record() code must be 6 digits, null or left out.');
    }
    const links = extractLinks(text, html);
    const code = message.code === undefined ? extractCode(text) : message.code;
    const entry: DevMailboxEntry = Object.freeze({
      to,
      subject,
      text,
      html,
      links: Object.freeze([...links]) as string[],
      code,
      sentAt: new Date().toISOString(),
    });
    entries = Object.freeze([entry, ...entries].slice(0, max));

    const what = links[0] ?? `"${subject}" (no link)`;
    log(
      oneLine(
        `[dev-mailbox] to ${maskEmail(to)}: ${what}${code === null ? '' : ` (code ${code})`}`,
      ),
    );
  }

  return {
    get messages(): readonly DevMailboxEntry[] {
      return entries;
    },

    async send(message: MailMessage): Promise<void> {
      record(message);
    },

    record,

    clear(): void {
      entries = Object.freeze([]);
    },

    handler(): DevMailboxHandler {
      return function devMailboxHandler(req, res, next) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return next();
        const path = requestPath(req.url);
        if (path === '/mailbox' || path.endsWith('/mailbox')) {
          return reply(req, res, 'text/html; charset=utf-8', renderPage(entries, max));
        }
        if (path === '/mailbox.json' || path.endsWith('/mailbox.json')) {
          return reply(req, res, 'application/json; charset=utf-8', JSON.stringify(entries));
        }
        return next();
      };
    },
  };
}
