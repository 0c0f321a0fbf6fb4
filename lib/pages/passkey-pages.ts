import { ENGLISH, format } from '../i18n/index';
import type { Translation } from '../i18n/index';
import { html, layout } from './layout';
import type { Html } from './layout';

/**
 * What the passkey script needs on a page: its URL and the routes it talks to. The script reads
 * them from `data-` attributes, so the page itself carries no inline script (CSP
 * `script-src 'self'`).
 */
export interface PasskeyScript {
  /** The script's URL, with its content hash: `/auth/passkeys/client.js?v=…`. */
  src: string;
  signInOptions: string;
  signIn: string;
  registerOptions: string;
  register: string;
}

/** One passkey as the management page lists it. */
export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

function scriptTag(script: PasskeyScript): Html {
  return html`<script src="${script.src}" defer></script>`;
}

/** The error line the script fills in; empty (and hidden) until something fails. */
function errorLine(t: Translation): Html {
  return html`<p
    class="error"
    role="alert"
    hidden
    data-passkey-error
    data-message="${t.messages.errPasskeyInvalid}"
  ></p>`;
}

/**
 * A button the script shows (it starts `hidden`) when the browser can use passkeys: without
 * JavaScript, or without WebAuthn, the page is the email path alone.
 */
export function passkeyButton(
  kind: 'sign-in' | 'register',
  script: PasskeyScript,
  label: string,
  next: string,
): Html {
  return kind === 'sign-in'
    ? html`<button
        type="button"
        hidden
        data-passkey-sign-in
        data-options="${script.signInOptions}"
        data-verify="${script.signIn}"
        data-return-to="${next}"
      >
        ${label}
      </button>`
    : html`<button
        type="button"
        hidden
        data-passkey-register
        data-options="${script.registerOptions}"
        data-verify="${script.register}"
        data-next="${next}"
      >
        ${label}
      </button>`;
}

/** The sign-in page's passkey part: the button, the error line, the script (autofill included). */
export function signInPasskeyPart(script: PasskeyScript, returnTo: string, t: Translation): Html {
  return html`<p>${passkeyButton('sign-in', script, t.messages.passkeySignIn, returnTo)}</p>
    ${errorLine(t)} ${scriptTag(script)}`;
}

/** After a first email sign-in: one page, skippable, shown once per browser. */
export function passkeyOfferPage(
  data: { appName: string; script: PasskeyScript; returnTo: string },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  return layout(
    t,
    m.passkeyOfferTitle,
    html`<h1>${m.passkeyOfferTitle}</h1>
      <p>${format(m.passkeyOfferBody, { appName: data.appName })}</p>
      <noscript><p class="muted">${m.passkeyNeedsScript}</p></noscript>
      ${errorLine(t)}
      <p>${passkeyButton('register', data.script, m.passkeyOfferAdd, data.returnTo)}</p>
      <p><a href="${data.returnTo}" data-passkey-skip>${m.passkeyOfferSkip}</a></p>
      ${scriptTag(data.script)}`,
  );
}

function when(date: Date, t: Translation): string {
  return new Intl.DateTimeFormat(t.locale, { dateStyle: 'medium' }).format(date);
}

/** `GET /auth/passkeys`: the list, with rename and remove as plain forms (no script needed). */
export function passkeyManagePage(
  data: {
    passkeys: readonly PasskeyRow[];
    script: PasskeyScript;
    renameAction: (id: string) => string;
    removeAction: (id: string) => string;
    here: string;
  },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  const rows = data.passkeys.map(
    (p) =>
      html`<li data-passkey-id="${p.id}">
        <form method="post" action="${data.renameAction(p.id)}">
          <label for="name-${p.id}">${m.passkeyNameLabel}</label>
          <input id="name-${p.id}" name="name" value="${p.name}" maxlength="64" required />
          <p class="muted">
            ${format(m.passkeyCreated, { date: when(p.createdAt, t) })} ·
            ${
              p.lastUsedAt
                ? format(m.passkeyLastUsed, { date: when(p.lastUsedAt, t) })
                : m.passkeyNeverUsed
            }
          </p>
          <button type="submit">${m.passkeyRename}</button>
        </form>
        <form method="post" action="${data.removeAction(p.id)}">
          <button type="submit" class="link">${m.passkeyRemove}</button>
        </form>
        <hr />
      </li>`,
  );
  return layout(
    t,
    m.passkeyManageTitle,
    html`<h1>${m.passkeyManageTitle}</h1>
      ${data.passkeys.length === 0 ? html`<p>${m.passkeyManageEmpty}</p>` : ''}
      <ul>
        ${rows}
      </ul>
      ${errorLine(t)}
      <p>${passkeyButton('register', data.script, m.passkeyManageAdd, data.here)}</p>
      ${scriptTag(data.script)}`,
  );
}

/** Confirm it is you: by passkey (when there is one), or by a code emailed to the address in use. */
export function reauthPage(
  data: {
    email: string;
    action: string;
    returnTo: string;
    /** `null` when passkeys are off or the user has none. */
    script: PasskeyScript | null;
  },
  t: Translation = ENGLISH,
): string {
  const m = t.messages;
  return layout(
    t,
    m.reauthTitle,
    html`<h1>${m.reauthTitle}</h1>
      <p>${m.reauthBody}</p>
      ${
        data.script
          ? html`${errorLine(t)}
              <p>${passkeyButton('sign-in', data.script, m.reauthPasskey, data.returnTo)}</p>`
          : ''
      }
      <form method="post" action="${data.action}">
        <input type="hidden" name="returnTo" value="${data.returnTo}" />
        <button type="submit">${format(m.reauthEmail, { email: data.email })}</button>
      </form>
      ${data.script ? scriptTag(data.script) : ''}`,
  );
}
