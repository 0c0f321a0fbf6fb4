import type { HumanCheckWidget } from '../human/types';
import { Html, html, layout } from './layout';

/** What the default sign-in page (and a replacement for it) is given. */
export interface SignInPageData {
  appName: string;
  /** Where the form posts. */
  action: string;
  /** A safe, same-origin returnTo to carry in a hidden field. */
  returnTo: string;
  /** A message to show above the form, e.g. after a failed attempt. */
  error: string | null;
  email: string;
  /** The human check's widget, to render inside the form (`verifyHuman`); absent when off. */
  humanCheck?: HumanCheckWidget | null;
}

/** The error above a field, tied to it for screen readers by `invalid()`. */
function errorFor(field: string, error: string | null): Html | '' {
  return error ? html`<p id="${field}-error" class="error" role="alert">${error}</p>` : '';
}

function invalid(field: string, error: string | null): Html | '' {
  return error ? html`aria-invalid="true" aria-describedby="${field}-error"` : '';
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

export function signInPage(data: SignInPageData): string {
  const human = humanCheckParts(data.humanCheck);
  return layout(
    `Sign in to ${data.appName}`,
    html`<h1>Sign in to ${data.appName}</h1>
      ${errorFor('email', data.error)}
      <form method="post" action="${data.action}">
        <label for="email">Email address</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="email"
          required
          maxlength="254"
          value="${data.email}"
          autofocus
          ${invalid('email', data.error)}
        />
        ${returnToField(data.returnTo)} ${human.field}
        <button type="submit">Email me a sign-in link</button>
      </form>
      <p class="muted">We will email you a link that signs you in. No password needed.</p>
      ${human.script}`,
  );
}

export function sentPage(data: {
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
}): string {
  const codeOnly = data.codeOnly === true && data.verifyAction !== null;
  const emailCodes = data.emailCodes ?? true;
  const relay = data.relay === true && !codeOnly;
  const label = codeOnly
    ? 'The 6-digit code from the email'
    : emailCodes
      ? 'Or type the 6-digit code from the email'
      : 'Opened the link on another device? Type the 6-digit code it shows';
  return layout(
    'Check your email',
    html`<h1>Check your email</h1>
      <p>
        ${
          codeOnly
            ? html`If that address can sign in to ${data.appName}, we have sent it a 6-digit code.
              Type it below, in this browser.`
            : html`If that address can sign in to ${data.appName}, we have sent it a link. Open it
              in this browser to continue.`
        }
      </p>
      ${
        data.verifyAction
          ? html`<hr />
              ${errorFor('code', data.error)}
              <form method="post" action="${data.verifyAction}">
                <label for="code">${label}</label>
                ${
                  relay && emailCodes
                    ? html`<p class="muted" id="code-hint">
                        or the one shown where you opened the link, if that was another device.
                      </p>`
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
                <button type="submit">Sign in with code</button>
              </form>`
          : ''
      }
      <p class="muted">
        ${codeOnly ? 'The code expires' : 'The link expires'} in a few minutes. Nothing arrived?
        Check spam, or
        <a href="${data.signInHref}">ask for another ${codeOnly ? 'code' : 'link'}</a>.
      </p>`,
  );
}

export function confirmPage(data: {
  appName: string;
  action: string;
  /** The whole address the link was sent to. */
  email: string;
  /** The address this browser is already signed in as, when it differs. */
  signedInAs: string | null;
  fields: Record<string, string>;
}): string {
  const hidden = Object.entries(data.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return layout(
    'Continue signing in?',
    html`<h1>Continue signing in?</h1>
      <p>
        You are about to sign in to ${data.appName} as <strong>${data.email}</strong> in this
        browser. Check that this is your address.
      </p>
      ${
        data.signedInAs
          ? html`<p class="error" role="alert">
              This browser is signed in as <strong>${data.signedInAs}</strong>. Continuing signs it
              in as ${data.email} instead.
            </p>`
          : ''
      }
      <p class="muted">
        If you did not ask for this link, close this page. Nothing happens until you press the
        button.
      </p>
      <form method="post" action="${data.action}">
        ${hidden}
        <button type="submit">Continue signing in</button>
      </form>`,
  );
}

/**
 * `crossDevice: 'relay'`: what a browser that did not ask for the link shows. No form, no
 * script: nothing here spends the link or signs this browser in.
 */
export function relayPage(data: { appName: string; code: string; signInHref: string }): string {
  return layout(
    'Finish signing in in the other browser',
    html`<h1>Finish signing in in the other browser</h1>
      <p>Type this code in the browser where you asked to sign in to ${data.appName}:</p>
      <p class="code" id="relay-code">${data.code}</p>
      <p class="muted">
        This browser stays signed out. If you did not ask to sign in, close this page and give the
        code to nobody: ${data.appName} never asks for it by phone, chat or email.
      </p>
      <p class="muted">
        Want to sign in on this device instead?
        <a href="${data.signInHref}">Ask for a link here</a>.
      </p>`,
  );
}

export function deniedPage(data: {
  appName: string;
  signInHref: string;
  hasCode: boolean;
}): string {
  return layout(
    'Open the link in the same browser',
    html`<h1>Open the link in the browser you used</h1>
      <p>
        For your security, ${data.appName} only accepts this link in the browser where you asked for
        it.
      </p>
      ${data.hasCode ? html`<p>You can also type the 6-digit code from the email into that browser.</p>` : ''}
      <p><a href="${data.signInHref}">Ask for a new link in this browser</a></p>`,
  );
}

export function expiredPage(data: {
  resendAction: string | null;
  state: string | null;
  signInHref: string;
  /** The human check's widget for the resend form (`verifyHuman`); absent when off. */
  humanCheck?: HumanCheckWidget | null;
}): string {
  const human = humanCheckParts(data.resendAction && data.state ? data.humanCheck : null);
  return layout(
    'This link has expired',
    html`<h1>This link has expired or was already used</h1>
      <p>Sign-in links work once and only for a short time.</p>
      ${
        data.resendAction && data.state
          ? html`<form method="post" action="${data.resendAction}">
              <input type="hidden" name="state" value="${data.state}" /> ${human.field}
              <button type="submit">Email me a new link</button>
            </form>`
          : html`<p><a href="${data.signInHref}">Ask for a new link</a></p>`
      }
      ${human.script}`,
  );
}

export function errorPage(data: { title: string; message: string; backHref: string }): string {
  return layout(
    data.title,
    html`<h1>${data.title}</h1>
      <p>${data.message}</p>
      <p><a href="${data.backHref}">Back to sign-in</a></p>`,
  );
}
