import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS } from '../errors';
import type { MagicLinkError } from '../errors';
import { sendHtml, sendJson, wantsJson } from '../http';
import type { MessageKey, Translation } from '../i18n/index';
import { deniedPage, errorPage, expiredPage, signInPage } from '../pages/pages';
import type { RouterKit } from './kit';

function titleFor(status: number): MessageKey {
  if (status === 503) return 'errorTitleRetry';
  if (status === 429) return 'errorTitleSlowDown';
  return 'errorTitleProblem';
}

/**
 * Turns a `MagicLinkError` into its page or JSON, and its event, from the one error table in
 * `errors.ts`. What a page needs beyond the table (the resend state, the returnTo) travels on
 * the error's `context`, gathered where the error happened.
 */
export function createErrorPresenter(
  kit: RouterKit,
): (req: IncomingMessage, res: ServerResponse, err: MagicLinkError, path: string) => void {
  const { o, paths } = kit;
  const hasCodes = o.capabilities.checksCodes;

  function page(err: MagicLinkError, path: string, t: Translation): string {
    const row = ERRORS[err.code];
    const message = t.messages[row.messageKey];
    switch (row.page) {
      case 'expired':
        return expiredPage(
          {
            resendAction: err.context.resendState ? paths.resend : null,
            state: err.context.resendState ?? null,
            signInHref: paths.signIn,
            humanCheck: o.humanCheckWidget,
          },
          t,
        );
      case 'sign-in': {
        const data = {
          appName: o.appName,
          action: paths.signIn,
          returnTo: err.context.returnTo ?? o.afterSignIn,
          error: message,
          email: '',
          humanCheck: o.humanCheckWidget,
          locale: t.locale,
          dir: t.dir,
          passkeys: kit.passkeyScript,
        };
        return typeof o.signInPage === 'function' ? o.signInPage(data) : signInPage(data, t);
      }
      case 'sent':
        return kit.sentPage(t, message);
      case 'denied':
        return deniedPage({ appName: o.appName, signInHref: paths.signIn, hasCode: hasCodes }, t);
      case 'error':
        return errorPage(
          {
            title: t.messages[titleFor(err.status)],
            message,
            backHref: path === paths.sent || path === paths.verify ? paths.sent : paths.signIn,
          },
          t,
        );
    }
  }

  return function presentError(req, res, err, path) {
    const row = ERRORS[err.code];
    if (err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
    if (row.event === 'provider_error')
      kit.emit(req, { type: 'provider_error', reason: err.code, error: err.cause ?? err });
    else if (row.event === 'sign_in_failed')
      kit.emit(req, { type: 'sign_in_failed', reason: err.code });
    const t = kit.translation(req);
    if (wantsJson(req)) {
      sendJson(res, err.status, {
        error: err.code.slice(4).toLowerCase(),
        message: t.messages[row.messageKey],
      });
    } else {
      sendHtml(res, err.status, page(err, path, t));
    }
  };
}
