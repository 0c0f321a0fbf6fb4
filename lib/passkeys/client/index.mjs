/* global document, location */
// The passkey script the router serves at <basePath>/passkeys/client.js (bundled with
// @simplewebauthn/browser by scripts/build-passkey-client.mjs). It reads everything from data-
// attributes, so the pages carry no inline script (helmet's default CSP: script-src 'self').
// Buttons start hidden: without JavaScript or WebAuthn, a page is the email path alone.
import {
  WebAuthnAbortService,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

function showError(err) {
  const line = document.querySelector('[data-passkey-error]');
  // The person cancelled the prompt: nothing to say.
  if (!line || (err && err.name === 'NotAllowedError')) return;
  line.textContent = line.dataset.message || 'Passkey failed';
  line.hidden = false;
}

async function signIn(button, autofill) {
  const optionsJSON = await post(button.dataset.options, { returnTo: button.dataset.returnTo });
  const response = await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
  const result = await post(button.dataset.verify, response);
  location.assign(result.returnTo || '/');
}

async function register(button) {
  const optionsJSON = await post(button.dataset.options, {});
  const response = await startRegistration({ optionsJSON });
  await post(button.dataset.verify, response);
  location.assign(button.dataset.next || '/');
}

function wire() {
  if (!browserSupportsWebAuthn()) return;
  const signInButton = document.querySelector('[data-passkey-sign-in]');
  if (signInButton) {
    signInButton.hidden = false;
    signInButton.addEventListener('click', () => {
      // The button's ceremony replaces a pending autofill one.
      WebAuthnAbortService.cancelCeremony();
      signIn(signInButton, false).catch(showError);
    });
    // Passkey autofill on the email field (autocomplete="username webauthn").
    if (document.querySelector('input[autocomplete~="webauthn"]')) {
      browserSupportsWebAuthnAutofill().then((ok) => {
        if (ok)
          signIn(signInButton, true).catch((err) => {
            if (err && err.name !== 'AbortError') showError(err);
          });
      });
    }
  }
  for (const button of document.querySelectorAll('[data-passkey-register]')) {
    button.hidden = false;
    button.addEventListener('click', () => register(button).catch(showError));
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
else wire();
