import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { MagicLinkError } from '../errors';
import { clientIp } from '../http';
import type { HumanVerdict } from './types';

/**
 * Names the service of a `verifyHuman` made by `turnstile()` or `hcaptcha()`, so telemetry can
 * call its span `magic_link siteverify`. A registered symbol: both builds of the package agree.
 */
export const HUMAN_CHECK_SERVICE = Symbol.for('express-magic-link.human-check.service');

/** Tags a verifier with its service (see {@link HUMAN_CHECK_SERVICE}). */
export function tagService<F extends object>(verify: F, service: 'turnstile' | 'hcaptcha'): F {
  return Object.defineProperty(verify, HUMAN_CHECK_SERVICE, { value: service });
}

/** A siteverify answer is a few hundred bytes; anything past this is not one. */
export const MAX_ANSWER_BYTES = 16 * 1024;
export const DEFAULT_HUMAN_TIMEOUT_MS = 5_000;

/** The parts of a siteverify answer both services send. */
export interface SiteverifyAnswer {
  success: boolean;
  'error-codes': string[];
  hostname?: unknown;
  action?: unknown;
  challenge_ts?: unknown;
}

export interface SiteverifyConfig {
  /** `Turnstile` or `hCaptcha`, for messages. */
  service: string;
  /** The adapter's name, for messages: `turnstile` or `hcaptcha`. */
  adapter: string;
  url: string;
  timeoutMs: number;
  fetch: typeof fetch;
  /** The form field the widget puts its token in. */
  tokenField: string;
  /** Longer tokens are refused without asking the service. */
  maxTokenLength: number;
  /** The service-specific form fields beyond `secret`, `response` and `remoteip`. */
  extraFields(): Record<string, string>;
  secret: string;
  /** Checks of a successful answer; a reason when it must still be refused. */
  check(answer: SiteverifyAnswer): string | null;
  /** Error codes that mean the app's configuration is wrong, each with its fix. */
  configCodes: Readonly<Record<string, string>>;
}

/** Codes that mean the service itself failed: 503 "try again", never a pass. */
const SERVICE_CODES = new Set(['internal-error', 'bad-request']);

function unavailable(config: SiteverifyConfig, message: string, cause?: unknown): MagicLinkError {
  return new MagicLinkError(
    'ERR_HUMAN_CHECK_UNAVAILABLE',
    `${config.service} siteverify ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/** Reads at most `MAX_ANSWER_BYTES` of the body; more is refused, not buffered. */
async function readBounded(config: SiteverifyConfig, res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    throw unavailable(config, `answered ${declared} bytes; at most ${MAX_ANSWER_BYTES} are read`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw unavailable(config, `answered more than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseAnswer(config: SiteverifyConfig, status: number, text: string): SiteverifyAnswer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw unavailable(config, `answered HTTP ${status} with a body that is not JSON`);
  }
  const answer = value as Partial<SiteverifyAnswer> | null;
  if (!answer || typeof answer !== 'object' || typeof answer.success !== 'boolean') {
    throw unavailable(config, `answered HTTP ${status} without a boolean "success"`);
  }
  const codes = answer['error-codes'];
  return {
    ...answer,
    success: answer.success,
    'error-codes': Array.isArray(codes) ? codes.filter((c) => typeof c === 'string') : [],
  };
}

/** A reason safe to put in an event and a log line: the service's codes, tidied and cut short. */
function reasonOf(codes: readonly string[]): string {
  const joined = codes.join(',').replace(/[^\w.,:-]/g, '_');
  return joined.slice(0, 100) || 'rejected';
}

/**
 * Verifies the widget's token with a siteverify endpoint (Turnstile's and hCaptcha's speak the
 * same form and JSON). The visitor's token missing, bad, expired or replayed: `{ human: false }`.
 * The app's secret refused: `ERR_HUMAN_CHECK_MISCONFIGURED`, naming the fix. The service down,
 * slow, failing or answering nonsense: `ERR_HUMAN_CHECK_UNAVAILABLE`. Never a pass by default.
 */
export async function siteverify(
  config: SiteverifyConfig,
  req: IncomingMessage,
  fields: Readonly<Record<string, string>>,
): Promise<HumanVerdict> {
  const token = fields[config.tokenField];
  if (typeof token !== 'string' || token === '')
    return { human: false, reason: 'missing-input-response' };
  if (token.length > config.maxTokenLength)
    return { human: false, reason: 'invalid-input-response' };

  const form = new URLSearchParams({ secret: config.secret, response: token });
  const ip = clientIp(req);
  // An address the service cannot parse would be refused as `invalid-remoteip`; leave it out.
  if (isIP(ip) !== 0) form.set('remoteip', ip);
  for (const [key, value] of Object.entries(config.extraFields())) form.set(key, value);

  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), config.timeoutMs);
  let answer: SiteverifyAnswer;
  try {
    let res: Response;
    try {
      res = await config.fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: abort.signal,
        redirect: 'error',
      });
    } catch (err) {
      throw abort.signal.aborted
        ? unavailable(config, `did not answer within ${config.timeoutMs} ms`)
        : unavailable(config, 'could not be reached', err);
    }
    let text: string;
    try {
      text = await readBounded(config, res);
    } catch (err) {
      if (err instanceof MagicLinkError) throw err;
      throw abort.signal.aborted
        ? unavailable(config, `did not finish its answer within ${config.timeoutMs} ms`)
        : unavailable(config, 'broke off its answer', err);
    }
    if (res.status >= 500 || res.status === 429)
      throw unavailable(config, `answered HTTP ${res.status}`);
    answer = parseAnswer(config, res.status, text);
  } finally {
    clearTimeout(timer);
  }

  const codes = answer['error-codes'];
  if (answer.success) {
    const refused = config.check(answer);
    return refused === null ? true : { human: false, reason: refused };
  }
  const misconfigured = codes.find((code) => Object.hasOwn(config.configCodes, code));
  if (misconfigured !== undefined) {
    throw new MagicLinkError(
      'ERR_HUMAN_CHECK_MISCONFIGURED',
      `${config.service} refused the app's configuration (${misconfigured}). ${config.configCodes[misconfigured]}`,
    );
  }
  const failed = codes.find((code) => SERVICE_CODES.has(code));
  if (failed !== undefined) throw unavailable(config, `failed (${failed})`);
  return { human: false, reason: reasonOf(codes) };
}

/** Option checks shared by the adapters: a TypeError naming the adapter, the option and the fix. */
export function adapterOptions(
  adapter: string,
  options: {
    secret?: unknown;
    sitekey?: unknown;
    timeoutMs?: unknown;
    fetch?: unknown;
    siteverifyUrl?: unknown;
    expectedHostname?: unknown;
  },
  defaultUrl: string,
): { secret: string; timeoutMs: number; fetch: typeof fetch; url: string } {
  const fail = (option: string, problem: string, fix: string): never => {
    throw new TypeError(`${adapter}: ${option} ${problem}. ${fix}`);
  };
  if (!options || typeof options !== 'object')
    fail('options', 'are required', `Call ${adapter}({ secret: process.env.SECRET_KEY }).`);
  if (typeof options.secret !== 'string' || options.secret.trim() === '')
    fail(
      'secret',
      'is required',
      `Pass the secret key from the ${adapter === 'turnstile' ? 'Cloudflare' : 'hCaptcha'} dashboard, e.g. ${adapter}({ secret: process.env.CAPTCHA_SECRET }).`,
    );
  for (const key of ['sitekey', 'expectedHostname'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      fail(key, 'must be a non-empty string', `Pass a string or leave ${key} out.`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_HUMAN_TIMEOUT_MS;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > 60_000
  )
    fail('timeoutMs', 'must be an integer between 1 and 60000', 'Pass e.g. timeoutMs: 5000.');
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    fail('fetch', 'must be a function', 'Pass a fetch-compatible function or leave fetch out.');
  const url = options.siteverifyUrl ?? defaultUrl;
  let parsed: URL | null = null;
  try {
    parsed = typeof url === 'string' ? new URL(url) : null;
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    fail('siteverifyUrl', 'must be an http(s) URL', `Leave it out to use ${defaultUrl}.`);
  return {
    secret: options.secret as string,
    timeoutMs: timeoutMs as number,
    fetch: (options.fetch as typeof fetch | undefined) ?? ((input, init) => fetch(input, init)),
    url: parsed!.href,
  };
}
