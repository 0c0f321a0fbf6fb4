import { randomUUID } from 'node:crypto';
import { escapeHtml } from '../html';
import { adapterOptions, siteverify, tagService } from './siteverify';
import type { HumanCheck, HumanCheckWidget } from './types';

export const TURNSTILE_SITEVERIFY_URL = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';
export const TURNSTILE_SCRIPT_SRC = 'https://challenges.cloudflare.com/turnstile/v0/api.js';
/** Turnstile tokens are at most 2048 characters; a longer one is refused without asking. */
const MAX_TOKEN_LENGTH = 2048;

export interface TurnstileOptions {
  /** The widget's secret key, from the Cloudflare dashboard. Server-side only. */
  secret: string;
  /** The widget's (public) sitekey. With it, the default pages show the widget. */
  sitekey?: string;
  /** Give up on siteverify after this long: 503 "try again". @default 5000 */
  timeoutMs?: number;
  /** Refuse a token solved on another host name (siteverify's `hostname`). */
  expectedHostname?: string;
  /** Refuse a token whose widget action differs (siteverify's `action`); the widget gets `data-action`. */
  expectedAction?: string;
  /** The fetch to call siteverify with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** For tests against a local server. @default 'https://challenges.cloudflare.com/turnstile/v0/siteverify' */
  siteverifyUrl?: string;
}

const CONFIG_CODES: Readonly<Record<string, string>> = {
  'missing-input-secret':
    "Pass the widget's secret key from the Cloudflare dashboard as turnstile({ secret }).",
  'invalid-input-secret':
    "Pass the widget's secret key from the Cloudflare dashboard as turnstile({ secret }), not the sitekey; check the environment variable it comes from.",
};

/**
 * A `verifyHuman` for Cloudflare Turnstile: posts the widget's `cf-turnstile-response` to
 * siteverify (with the client IP as Express resolves it and an idempotency key) and passes only
 * on `success: true`.
 *
 * @example
 * magicLinkRouter({ ..., verifyHuman: turnstile({ secret: process.env.TURNSTILE_SECRET!, sitekey: process.env.TURNSTILE_SITEKEY! }) });
 */
export function turnstile(options: TurnstileOptions): HumanCheck {
  const base = adapterOptions('turnstile', options, TURNSTILE_SITEVERIFY_URL);
  const { expectedHostname, expectedAction, sitekey } = options;
  if (expectedAction !== undefined && (typeof expectedAction !== 'string' || expectedAction === ''))
    throw new TypeError(
      'turnstile: expectedAction must be a non-empty string. Pass a string or leave expectedAction out.',
    );
  const config = {
    ...base,
    service: 'Turnstile',
    adapter: 'turnstile',
    tokenField: 'cf-turnstile-response',
    maxTokenLength: MAX_TOKEN_LENGTH,
    configCodes: CONFIG_CODES,
    extraFields: () => ({ idempotency_key: randomUUID() }),
    check(answer: { hostname?: unknown; action?: unknown }): string | null {
      if (expectedHostname !== undefined && answer.hostname !== expectedHostname)
        return 'hostname-mismatch';
      if (expectedAction !== undefined && answer.action !== expectedAction)
        return 'action-mismatch';
      return null;
    },
  };
  const verify = tagService(
    (req: Parameters<HumanCheck>[0], fields: Parameters<HumanCheck>[1]) =>
      siteverify(config, req, fields),
    'turnstile',
  );
  if (sitekey === undefined) return verify;
  const action = expectedAction === undefined ? '' : ` data-action="${escapeHtml(expectedAction)}"`;
  const widget: HumanCheckWidget = {
    scriptSrc: TURNSTILE_SCRIPT_SRC,
    html: `<div class="cf-turnstile" data-sitekey="${escapeHtml(sitekey)}"${action}></div>`,
  };
  return Object.assign(verify, { widget });
}
