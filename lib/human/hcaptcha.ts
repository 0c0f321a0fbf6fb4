import { escapeHtml } from '../html';
import { MAX_BODY_BYTES } from '../http';
import { adapterOptions, siteverify, tagService } from './siteverify';
import type { HumanCheck, HumanCheckWidget } from './types';

export const HCAPTCHA_SITEVERIFY_URL = 'https://api.hcaptcha.com/siteverify';
export const HCAPTCHA_SCRIPT_SRC = 'https://js.hcaptcha.com/1/api.js';

export interface HCaptchaOptions {
  /** The account's secret key, from the hCaptcha dashboard. Server-side only. */
  secret: string;
  /**
   * The (public) sitekey. It is sent to siteverify, which then refuses tokens solved for another
   * sitekey, and with it the default pages show the widget.
   */
  sitekey?: string;
  /** Give up on siteverify after this long: 503 "try again". @default 5000 */
  timeoutMs?: number;
  /** Refuse a token solved on another host name (siteverify's `hostname`). */
  expectedHostname?: string;
  /** The fetch to call siteverify with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** For tests against a local server. @default 'https://api.hcaptcha.com/siteverify' */
  siteverifyUrl?: string;
}

const SECRET_FIX = 'Pass the secret key from the hCaptcha dashboard as hcaptcha({ secret }).';
const CONFIG_CODES: Readonly<Record<string, string>> = {
  'missing-input-secret': SECRET_FIX,
  'invalid-input-secret': `${SECRET_FIX} Check the environment variable it comes from.`,
  'sitekey-secret-mismatch':
    'The sitekey is not registered with this secret: pass the secret of the account that owns hcaptcha({ sitekey }).',
  'not-using-dummy-passcode':
    'A test sitekey needs its test secret (and the other way round): pass matching test or live keys.',
  'missing-remoteip':
    "This hCaptcha account needs the visitor's IP: set Express's `trust proxy` so that req.ip is a valid client address.",
  'invalid-remoteip':
    "Set Express's `trust proxy` so that req.ip is the client's address, not a proxy's.",
};

/**
 * A `verifyHuman` for hCaptcha: posts the widget's `h-captcha-response` to siteverify (with the
 * client IP as Express resolves it, and the sitekey when given) and passes only on
 * `success: true`.
 *
 * @example
 * magicLinkRouter({ ..., verifyHuman: hcaptcha({ secret: process.env.HCAPTCHA_SECRET!, sitekey: process.env.HCAPTCHA_SITEKEY! }) });
 */
export function hcaptcha(options: HCaptchaOptions): HumanCheck {
  const base = adapterOptions('hcaptcha', options, HCAPTCHA_SITEVERIFY_URL);
  const { expectedHostname, sitekey } = options;
  const config = {
    ...base,
    service: 'hCaptcha',
    adapter: 'hcaptcha',
    tokenField: 'h-captcha-response',
    // hCaptcha documents no token length; the request body is capped anyway.
    maxTokenLength: MAX_BODY_BYTES,
    configCodes: CONFIG_CODES,
    extraFields: (): Record<string, string> => (sitekey === undefined ? {} : { sitekey }),
    check(answer: { hostname?: unknown }): string | null {
      if (expectedHostname !== undefined && answer.hostname !== expectedHostname)
        return 'hostname-mismatch';
      return null;
    },
  };
  const verify = tagService(
    (req: Parameters<HumanCheck>[0], fields: Parameters<HumanCheck>[1]) =>
      siteverify(config, req, fields),
    'hcaptcha',
  );
  if (sitekey === undefined) return verify;
  const widget: HumanCheckWidget = {
    scriptSrc: HCAPTCHA_SCRIPT_SRC,
    html: `<div class="h-captcha" data-sitekey="${escapeHtml(sitekey)}"></div>`,
  };
  return Object.assign(verify, { widget });
}
