import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Longest address accepted, counted after the domain is converted to punycode: the 256-octet
 * RFC 5321 §4.5.3.1.3 path limit less its angle brackets (RFC 3696 erratum 1690).
 */
export const MAX_EMAIL_LENGTH = 254;

/** Longest local part accepted (RFC 5321 §4.5.3.1.1). */
export const MAX_LOCAL_PART_LENGTH = 64;

/** Longest domain accepted, in punycode (RFC 1035 §2.3.4; RFC 5321 §4.5.3.1.2). */
const MAX_DOMAIN_LENGTH = 253;

/** Longest DNS label (RFC 1035 §2.3.4). */
const MAX_LABEL_LENGTH = 63;

/**
 * Past this many UTF-16 units no input can shrink to {@link MAX_EMAIL_LENGTH}, even through IDN
 * normalisation, so it is refused before the costlier checks (punycode encoding is quadratic).
 */
const MAX_RAW_INPUT_LENGTH = 4096;

/**
 * The outcome of {@link parseEmail}.
 *
 * - `address` is what gets emailed: the local part as typed, the domain lower-cased punycode.
 * - `canonical` is the identity key: `address` with the local part lower-cased too.
 * - `throttleKey` is for rate limiting only, never identity: `canonical` without `+tag`, and with
 *   Gmail's dots removed.
 */
export type EmailResult =
  | { ok: true; address: string; canonical: string; throttleKey: string }
  | { ok: false; reason: 'missing' | 'too_long' | 'invalid' };

type EmailFailure = Extract<EmailResult, { ok: false }>;

// Frozen because they are shared by every call that fails the same way.
const MISSING: EmailFailure = Object.freeze({ ok: false, reason: 'missing' });
const TOO_LONG: EmailFailure = Object.freeze({ ok: false, reason: 'too_long' });
const INVALID: EmailFailure = Object.freeze({ ok: false, reason: 'invalid' });

// U+0085, U+2028 and U+2029 are line breaks to some mail and log tooling, so they count as CR/LF.
const LINE_BREAK_OR_NUL = /[\r\n\0\u0085\u2028\u2029]/;
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}\p{Cf}]/u;

/**
 * RFC 5322 §3.2.3 dot-atom, ASCII only, without `!` and `%` (UUCP bang paths and the "percent
 * hack", which some MTAs still relay on, RFC 5321 Appendix C), and without `` ` ``, `|` and `/`,
 * which sendmail-style aliases and naive shell scripts read as commands, pipes or files.
 */
const LOCAL_PART = /^[A-Za-z0-9#$&'*+=?^_{}~-]+(?:\.[A-Za-z0-9#$&'*+=?^_{}~-]+)*$/;

/** A domain label as typed or decoded: letters, marks and digits of any script, and hyphens. */
const LABEL_CHARS = /^[\p{L}\p{M}\p{Nd}-]+$/u;
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;

/**
 * Parses one plain `local@domain` address strictly enough to be safe in mail headers and as an
 * identity key.
 *
 * Refused as `invalid`: non-strings, display names, comments, quoted local parts, IP-literal
 * domains, more than one address, any `@` other than exactly one ASCII `@` (so full-width `＠`
 * fails), control characters, and whitespace inside the address. CR, LF, NUL and Unicode line
 * separators are refused anywhere, even at the ends and even in an otherwise blank string, to
 * stop header injection (threat model E1). One leading and one trailing run of other whitespace is
 * trimmed, because users paste addresses with spaces around them.
 *
 * Non-ASCII local parts (SMTPUTF8, RFC 6531) are refused: they bring homoglyph and
 * header-encoding risks for very little reach. Unicode (IDN) domains are accepted and converted to
 * punycode with WHATWG `domainToASCII`, so the Unicode and punycode spellings of a domain share one
 * canonical form, while look-alikes from other scripts stay distinct (threat model E4). A label
 * that UTS #46 would silently rewrite beyond case and NFC (full-width letters, zero-width or
 * variation characters, ideographic dots) is refused, so what the user sees is where mail goes.
 *
 * `canonical` treats local parts case-insensitively. RFC 5321 §2.4 allows a server to tell them
 * apart, but virtually no provider does, and one account per mailbox matters more.
 *
 * @example
 * parseEmail('  Ann.Lee+news@Bücher.Example ');
 * // {
 * //   ok: true,
 * //   address: 'Ann.Lee+news@xn--bcher-kva.example',
 * //   canonical: 'ann.lee+news@xn--bcher-kva.example',
 * //   throttleKey: 'ann.lee@xn--bcher-kva.example',
 * // }
 * parseEmail('v@x.com\r\nBcc: s@evil.com'); // { ok: false, reason: 'invalid' }
 */
export function parseEmail(input: unknown): EmailResult {
  if (typeof input !== 'string') return INVALID;
  if (LINE_BREAK_OR_NUL.test(input)) return INVALID;

  // String#trim, not a regex: /\s+$/ backtracks quadratically on long runs of spaces.
  const trimmed = input.trim();
  if (trimmed === '') return MISSING;
  if (trimmed.length > MAX_RAW_INPUT_LENGTH) return TOO_LONG;
  if (WHITESPACE_OR_CONTROL.test(trimmed)) return INVALID;

  const parts = trimmed.split('@');
  if (parts.length !== 2) return INVALID;
  const [local, rawDomain] = parts as [string, string];

  if (!LOCAL_PART.test(local)) return INVALID;
  const domain = toAsciiDomain(rawDomain);
  if (typeof domain !== 'string') return domain;
  if (local.length > MAX_LOCAL_PART_LENGTH) return TOO_LONG;

  const address = `${local}@${domain}`;
  if (address.length > MAX_EMAIL_LENGTH) return TOO_LONG;

  // Safe: LOCAL_PART is ASCII-only, so lower-casing cannot change its length or meaning.
  const canonicalLocal = local.toLowerCase();
  return {
    ok: true,
    address,
    canonical: `${canonicalLocal}@${domain}`,
    throttleKey: toThrottleKey(canonicalLocal, domain),
  };
}

const PLAIN_ASCII = /^[A-Za-z0-9.-]+$/;

function toAsciiDomain(raw: string): string | EmailFailure {
  const rawLabels = raw.split('.');
  if (rawLabels.length < 2 || !rawLabels.every((label) => LABEL_CHARS.test(label))) return INVALID;

  // Plain ASCII host names (nearly every address) need no IDN round trip; `xn--` labels do.
  const ascii =
    PLAIN_ASCII.test(raw) && !/xn--/i.test(raw) ? raw.toLowerCase() : domainToASCII(raw);
  if (ascii === '') return INVALID;
  const labels = ascii.split('.');
  // UTS #46 can expand one character into a dot (U+2488 "⒈" becomes "1."). LABEL_CHARS keeps the
  // known ones out; comparing counts also keeps the label-by-label check below aligned.
  if (labels.length !== rawLabels.length) return INVALID;

  for (const [i, label] of labels.entries()) {
    if (!ASCII_LABEL.test(label)) return INVALID;
    // Hold the punycode spelling to the same rule as the Unicode one, so E4's two spellings of a
    // domain cannot parse differently.
    const unicode = label.startsWith('xn--') ? domainToUnicode(label) : label;
    if (!LABEL_CHARS.test(unicode)) return INVALID;
    const typed = rawLabels[i]!.normalize('NFC').toLowerCase();
    if (typed !== label && typed !== unicode) return INVALID;
  }

  // RFC 3696 §2: a top-level domain is never all-numeric; this also keeps IPv4 literals out.
  if (ALL_DIGITS.test(labels[labels.length - 1]!)) return INVALID;
  if (labels.some((label) => label.length > MAX_LABEL_LENGTH)) return TOO_LONG;
  if (ascii.length > MAX_DOMAIN_LENGTH) return TOO_LONG;
  return ascii;
}

const GMAIL_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com']);

function toThrottleKey(canonicalLocal: string, domain: string): string {
  // Index 1, not 0: an address that starts with `+` has no base mailbox to fold into.
  const plus = canonicalLocal.indexOf('+', 1);
  let local = plus === -1 ? canonicalLocal : canonicalLocal.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    // Gmail ignores dots and treats googlemail.com as gmail.com, so all spellings share a quota.
    local = local.replaceAll('.', '');
    return `${local}@gmail.com`;
  }
  return `${local}@${domain}`;
}
