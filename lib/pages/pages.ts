import type { HumanCheckWidget } from '../human/types';
import { ENGLISH, format, formatHtml } from '../i18n/index';
import type { Translation } from '../i18n/index';
import { Html, html, layout } from './layout';
import { signInPasskeyPart } from './passkey-pages';
import type { PasskeyScript } from './passkey-pages';

/** What the default sign-in page (and a replacement for it) is given. */
export interface SignInPageData {
  appName: string;
  /** Where the form posts. */
  action: string;
  /** A safe, same-origin returnTo to carry in a hidden field. */
  returnTo: string;
  /** A message to show above the form, e.g. after a failed attempt, in the page's language. */
  error: string | null;
  email: string;
  /** The human check's widget, to render inside the form (`verifyHuman`); absent when off. */
  humanCheck?: HumanCheckWidget | null;
  /** The request's language, a shipped locale tag such as `'fr'` (see the `locale` option). */
  locale?: string;
  /** `'rtl'` for right-to-left languages (Arabic). */
  dir?: 'ltr' | 'rtl';
  /**
   * Passkeys are on: the page offers "Sign in with a passkey" and passkey autofill on the email
   * field, through the router's script. Absent or `null` when off.
   */
  passkeys?: PasskeyScript | null;
}

/** The error above a field, tied to it for screen readers by `invalid()`. */
function errorFor(field: string, error: string | null): Html | '' {
  return error ? html`<p id="${field}-error" class="error" role="alert">${error}</p>` : '';
}

function invalid(field: string, error: string | null): Html | '' {
  return error ? html`aria-invalid="true" aria-describedby="${field}-error"` : '';
}

function anchor(href: string, text: string): Html {
  return html`<a href="${href}">${text}</a>`;
}

function returnToField(returnTo: string): Html {
  return html`<input type="hidden" name="returnTo" value="${returnTo}" />`;
}

/** The human check's widget (trusted markup from the app or adapter) and its script; else nothing. */
function humanCheckParts(widget: HumanCheckWidget | null | undefined): {
  field: Html | '';
  script: Html | '';
} {
  if (!widget) return { field: '', script: '' };
  return {
    field: new Html(widget.html),
    script: html`<script src="${widget.scriptSrc}" async defer></script>`,
  };
}

export function signInPage(data: SignInPageData, t: Translation = ENGLISH): string {
  const human = humanCheckParts(data.humanCheck);
  const m = t.messages;
  const title = format(m.signInTitle, { appName: data.appName });
  return layout(
    t,
    title,
    html`<h1>${title}</h1>
      ${errorFor('email', data.error)}
      <form method="post" action="${data.action}">
        <label for="email">${m.signInEmailLabel}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="${data.passkeys ? 'username webauthn' : 'email'}"
          required
          maxlength="254"
          value="${data.email}"
          autofocus
          ${t.dir === 'rtl' ? html`dir="ltr"` : ''}
          ${invalid('email', data.error)}
        />
        ${returnToField(data.returnTo)} ${human.field}
        <button type="submit">${m.signInSubmit}</button>
      </form>
      <p class="muted">${m.signInNote}</p>
      ${data.passkeys ? signInPasskeyPart(data.passkeys, data.returnTo, t) : ''} ${human.script}`,
  );
}

export function sentPage(
  data: {
    appName: string;
    verifyAction: string | null;
    signInHref: string;
    error: string | null;
    /** The email holds a code and no link (WorkOS sends its own Magic Auth email). */
    codeOnly?: boolean;
    /** The email holds a code. @default true when there is a code form */
    emailCodes?: boolean;
    /** A link opened in another browser shows a code to type here (`crossDevice: 'relay'`). */
    relay?: boolean;
  },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  const codeOnly = data.codeOnly === true && data.verifyAction !== null;
  const emailCodes = data.emailCodes ?? true;
  const relay = data.relay === true && !codeOnly;
  const label = codeOnly
    ? m.sentCodeLabelOnly
    : emailCodes
      ? m.sentCodeLabelOr
      : m.sentCodeLabelRelay;
  const another = anchor(data.signInHref, codeOnly ? m.sentAnotherCode : m.sentAnotherLink);
  return layout(
    t,
    m.sentTitle,
    html`<h1>${m.sentTitle}</h1>
      <p>${format(codeOnly ? m.sentBodyCode : m.sentBodyLink, { appName: data.appName })}</p>
      ${
        data.verifyAction
          ? html`<hr />
              ${errorFor('code', data.error)}
              <form method="post" action="${data.verifyAction}">
                <label for="code">${label}</label>
                ${
                  relay && emailCodes
                    ? html`<p class="muted" id="code-hint">${m.sentRelayHint}</p>`
                    : ''
                }
                <input
                  id="code"
                  class="code"
                  name="code"
                  inputmode="numeric"
                  autocomplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxlength="6"
                  required
                  ${
                    relay && emailCodes && !data.error
                      ? html`aria-describedby="code-hint"`
                      : invalid('code', data.error)
                  }
                />
                <button type="submit">${m.sentSubmitCode}</button>
              </form>`
          : ''
      }
      <p class="muted">
        ${formatHtml(codeOnly ? m.sentFooterCode : m.sentFooterLink, { link: another })}
      </p>`,
  );
}

export function confirmPage(
  data: {
    appName: string;
    action: string;
    /** The whole address the link was sent to. */
    email: string;
    /** The address this browser is already signed in as, when it differs. */
    signedInAs: string | null;
    fields: Record<string, string>;
  },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  const hidden = Object.entries(data.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return layout(
    t,
    m.confirmTitle,
    html`<h1>${m.confirmTitle}</h1>
      <p>
        ${formatHtml(m.confirmBody, {
          appName: data.appName,
          email: html`<strong>${data.email}</strong>`,
        })}
      </p>
      ${
        data.signedInAs
          ? html`<p class="error" role="alert">
              ${formatHtml(m.confirmSignedInAs, {
                current: html`<strong>${data.signedInAs}</strong>`,
                email: data.email,
              })}
            </p>`
          : ''
      }
      <p class="muted">${m.confirmNotYou}</p>
      <form method="post" action="${data.action}">
        ${hidden}
        <button type="submit">${m.confirmSubmit}</button>
      </form>`,
  );
}

/**
 * `crossDevice: 'relay'`: what a browser that did not ask for the link shows. No form, no
 * script: nothing here spends the link or signs this browser in.
 */
export function relayPage(
  data: { appName: string; code: string; signInHref: string },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  return layout(
    t,
    m.relayTitle,
    html`<h1>${m.relayTitle}</h1>
      <p>${format(m.relayBody, { appName: data.appName })}</p>
      <p class="code" id="relay-code">${data.code}</p>
      <p class="muted">${format(m.relayWarning, { appName: data.appName })}</p>
      <p class="muted">
        ${formatHtml(m.relayHere, {
          link: anchor(data.signInHref, m.relayHereLink),
        })}
      </p>`,
  );
}

export function deniedPage(
  data: {
    appName: string;
    signInHref: string;
    hasCode: boolean;
  },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  return layout(
    t,
    m.deniedTitle,
    html`<h1>${m.deniedHeading}</h1>
      <p>${format(m.deniedBody, { appName: data.appName })}</p>
      ${data.hasCode ? html`<p>${m.deniedCode}</p>` : ''}
      <p><a href="${data.signInHref}">${m.deniedAgain}</a></p>`,
  );
}

export function expiredPage(
  data: {
    resendAction: string | null;
    state: string | null;
    signInHref: string;
    /** The human check's widget for the resend form (`verifyHuman`); absent when off. */
    humanCheck?: HumanCheckWidget | null;
  },
  t: Translation = ENGLISH,
): string {
  const human = humanCheckParts(data.resendAction && data.state ? data.humanCheck : null);
  const m = t.messages;
  return layout(
    t,
    m.expiredTitle,
    html`<h1>${m.expiredHeading}</h1>
      <p>${m.expiredBody}</p>
      ${
        data.resendAction && data.state
          ? html`<form method="post" action="${data.resendAction}">
              <input type="hidden" name="state" value="${data.state}" /> ${human.field}
              <button type="submit">${m.expiredResend}</button>
            </form>`
          : html`<p><a href="${data.signInHref}">${m.expiredAgain}</a></p>`
      }
      ${human.script}`,
  );
}

export function errorPage(
  data: { title: string; message: string; backHref: string },
  t: Translation = ENGLISH,
): string {
  return layout(
    t,
    data.title,
    html`<h1>${data.title}</h1>
      <p>${data.message}</p>
      <p><a href="${data.backHref}">${t.messages.errorBack}</a></p>`,
  );
}
