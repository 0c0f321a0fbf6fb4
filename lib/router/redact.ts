import { MagicLinkError } from '../errors';

/** Addresses, as a provider's message may echo them (`'alice@example.com'`, `<a@b.c>`). */
const ADDRESS = /[^\s@'"<>()[\]{},;:`]+@[^\s@'"<>()[\]{},;:`]+/g;
/** Long opaque values with letters and digits: codes, tokens, states, link ids. */
const TOKEN =
  /(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}/g;
/** Six-digit codes standing alone. */
const CODE = /(?<![0-9])[0-9]{6}(?![0-9])/g;
/** How deep a chain of causes is copied. */
const MAX_DEPTH = 4;

/** A provider's text with addresses, codes and tokens replaced by placeholders. */
export function redactText(text: string): string {
  return text.replace(ADDRESS, '[email]').replace(TOKEN, '[token]').replace(CODE, '[code]');
}

function redactScalar(value: unknown): unknown {
  return typeof value === 'string' ? redactText(value) : value;
}

/** Copies the scalar own properties (status, code, requestID…), redacted; never nested data. */
function copyScalars(from: object, to: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(from)) {
    if (['cause', 'message', 'stack', 'name'].includes(key)) continue;
    // A provider's request id is for its support desk, not the user's; kept as is.
    if (/^request_?id$/i.test(key)) to[key] = value;
    else if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
      to[key] = redactScalar(value);
  }
}

/**
 * A copy of an error for `onEvent`, safe to log: its message, stack and scalar fields with
 * addresses, codes and tokens redacted, its causes likewise, and none of its nested data (a
 * provider's raw answer may hold the address). A MagicLinkError stays one, with its code.
 */
export function redactError(error: unknown, depth = 0): unknown {
  if (typeof error === 'string') return redactText(error);
  if (typeof error !== 'object' || error === null) return error;
  if (depth >= MAX_DEPTH) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  const redactedCause = cause === undefined ? undefined : redactError(cause, depth + 1);
  const options = redactedCause === undefined ? {} : { cause: redactedCause };
  let copy: Error & Record<string, unknown>;
  if (error instanceof MagicLinkError) {
    copy = new MagicLinkError(error.code, redactText(error.message), {
      ...options,
      status: error.status,
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    }) as MagicLinkError & Record<string, unknown>;
  } else if (error instanceof Error) {
    copy = new Error(redactText(error.message), options) as Error & Record<string, unknown>;
    if (error.name !== 'Error')
      Object.defineProperty(copy, 'name', {
        value: error.name,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    copyScalars(error, copy);
  } else {
    const plain: Record<string, unknown> = {};
    copyScalars(error, plain);
    return plain;
  }
  copy.stack = typeof error.stack === 'string' ? redactText(error.stack) : undefined;
  return copy;
}
