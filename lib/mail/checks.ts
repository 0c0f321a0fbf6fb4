import addressparser from 'nodemailer/lib/addressparser';
import { MagicLinkError } from '../errors';
import type { MailMessage } from './mailer';

/**
 * Checks every mailer makes, so that `smtpMailer` and the service mailers accept and refuse
 * exactly the same senders and messages. `factory` names the mailer in each message.
 */

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f\u2028\u2029]/;
const BARE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const HEADER_NAME = /^[!-9;-~]+$/;
const MAX_ADDRESS_LENGTH = 254;
// Headers that decide who gets the message or how it is parsed belong to the mailer alone.
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'return-path',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);

/** `from` as given, trimmed, or a TypeError naming `factory` and the fix. */
export function validateFrom(from: unknown, factory: string): string {
  const fix = "Fix: use one address, e.g. 'no-reply@example.com' or 'Acme <no-reply@example.com>'.";
  if (typeof from !== 'string' || from.trim() === '') {
    throw new TypeError(`${factory}: from is required and must be a string. ${fix}`);
  }
  if (CONTROL_CHARS.test(from)) {
    throw new TypeError(
      `${factory}: from must not contain line breaks or control characters. ${fix}`,
    );
  }
  // Ask nodemailer's own parser, so what is checked here is exactly what smtpMailer will send.
  const parsed = addressparser(from);
  const only = parsed.length === 1 ? parsed[0] : undefined;
  if (
    only === undefined ||
    only.group !== undefined ||
    only.address.length > MAX_ADDRESS_LENGTH ||
    !BARE_ADDRESS.test(only.address)
  ) {
    throw new TypeError(`${factory}: from must be exactly one email address. ${fix}`);
  }
  return from.trim();
}

function refuse(
  factory: string,
  reason: string,
  code: 'ERR_BAD_EMAIL' | 'ERR_MAIL_FAILED',
): MagicLinkError {
  return new MagicLinkError(code, 'The email could not be sent.', {
    cause: new TypeError(`${factory}: ${reason}`),
  });
}

/** The reason a message must not be handed to the transport, or null when it may be. */
export function checkMessage(message: MailMessage, factory: string): MagicLinkError | null {
  const { to, subject, text, html, headers } = message;
  if (
    typeof to !== 'string' ||
    CONTROL_CHARS.test(to) ||
    to.length > MAX_ADDRESS_LENGTH ||
    !BARE_ADDRESS.test(to)
  ) {
    return refuse(
      factory,
      'message.to must be one bare address with no line breaks.',
      'ERR_BAD_EMAIL',
    );
  }
  if (typeof subject !== 'string' || CONTROL_CHARS.test(subject)) {
    return refuse(
      factory,
      'message.subject must be a string with no line breaks or control characters.',
      'ERR_MAIL_FAILED',
    );
  }
  if (typeof text !== 'string' || typeof html !== 'string') {
    return refuse(factory, 'message.text and message.html must be strings.', 'ERR_MAIL_FAILED');
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      return refuse(
        factory,
        `message.headers may not set ${JSON.stringify(name)}.`,
        'ERR_MAIL_FAILED',
      );
    }
    if (typeof value !== 'string' || CONTROL_CHARS.test(value)) {
      return refuse(
        factory,
        `message.headers[${JSON.stringify(name)}] must be a string with no line breaks.`,
        'ERR_MAIL_FAILED',
      );
    }
  }
  return null;
}

// Anything shaped like an address, as servers echo it ("550 5.1.1 <ada@example.com>: …").
const ANY_ADDRESS = /[^\s<>()[\]\\,;:"'@]+@[^\s<>()[\]\\,;:"'@]+/g;

/** `text` with every address-shaped run replaced, for errors that travel to logs and events. */
export function redactAddresses(text: string): string {
  return text.replace(ANY_ADDRESS, '<address>');
}
