import { MagicLinkError } from '../errors';
import type { SendEmail } from '../options';
import { providerClient } from '../providers/provider';
import type { Provider } from '../providers/provider';
import type { EmailResult } from './email';
import type { Outcome } from './outcomes';
import { bindingOf, maskEmail, newId, newNonce } from './pending';
import type { StatePayload } from './pending';
import type { PendingStore } from './pending-store';
import type { Client, FlowEvent } from './sign-in';
import type { StateCodec } from './state';
import type { ThirdPartyLinks } from './third-party-link';

export interface SenderDeps {
  provider: Provider;
  providerSends: boolean;
  delivery: 'provider' | SendEmail;
  redirectUri: string;
  ttlMs: number;
  states: StateCodec;
  pending: PendingStore;
  links: ThirdPartyLinks | null;
  /** Remember each browser's newest state, for a resend when the provider drops `state`. */
  rememberState: boolean;
  allow: (email: string) => boolean | Promise<boolean>;
  emit: (event: FlowEvent, ip: string) => void;
  call: <T>(promise: Promise<T>) => Promise<T>;
  /** Runs the send after the answer (telemetry's span for it, or just the call). */
  background: (job: () => Promise<void>) => Promise<void>;
}

/** Sends sign-in links in the background, after the answer (see `send`). */
export function createSender(o: SenderDeps): {
  send(email: Extract<EmailResult, { ok: true }>, returnTo: string, client: Client): Outcome;
  drain(): Promise<void>;
} {
  async function deliver(
    address: string,
    payload: StatePayload,
    state: string,
    client: Client,
  ): Promise<void> {
    const started = await o.call(
      o.provider.start(address, {
        state,
        redirectUri: o.redirectUri,
        binding: payload.b,
        providerSends: o.providerSends,
        client: providerClient(client),
      }),
    );
    if (o.delivery === 'provider' || !started.link) return;
    const link = o.links ? o.links.wrap(started.link, payload, o.ttlMs) : started.link;
    try {
      await o.delivery({
        to: address,
        link,
        code: started.code,
        expiresAt: started.expiresAt,
        locale: client.locale ?? 'en',
      });
    } catch (err) {
      await started.revoke().catch(() => undefined);
      throw err instanceof MagicLinkError && err.code === 'ERR_MAIL_FAILED'
        ? err
        : new MagicLinkError('ERR_MAIL_FAILED', 'The email could not be sent', { cause: err });
    }
  }

  /** Background sends still running, so an app (or a test) can wait for them. */
  let running = 0;
  /** Resolved, and dropped, when `running` next falls to zero; made only when someone waits. */
  let idle: { promise: Promise<void>; resolve: () => void } | null = null;

  /** One background send, start to finish: it never rejects, and it counts itself out. */
  async function sendInBackground(
    address: string,
    canonical: string,
    payload: StatePayload,
    client: Client,
  ): Promise<void> {
    const { ip } = client;
    try {
      // allow() sees the identity key, so a deny-list entry cannot be dodged by changing case.
      if (!(await o.allow(canonical))) {
        o.emit({ type: 'link_not_sent', email: maskEmail(address), reason: 'not_allowed' }, ip);
        return;
      }
      payload.t = Date.now();
      const state = o.states.seal(payload, o.ttlMs);
      // Opened before the email goes out, so a click that beats this job's last step still
      // finds it; withdrawn if sending fails, so a link from a failed attempt finds no record.
      await o.pending.open(payload.i, payload.b);
      try {
        await deliver(address, payload, state, client);
      } catch (err) {
        await o.pending.spend(payload.i).catch(() => undefined);
        throw err;
      }
      if (o.rememberState) await o.pending.remember(payload.b, state);
      o.emit({ type: 'link_sent', email: maskEmail(address) }, ip);
    } catch (err) {
      const failure =
        err instanceof MagicLinkError
          ? err
          : new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'Sending failed', { cause: err });
      if (failure.code === 'ERR_SIGN_IN_REFUSED') {
        // The provider will not sign this address in (WorkOS: sign-up is off and there is no
        // such user). The visitor got the same answer as everyone; only the app is told.
        o.emit(
          { type: 'link_not_sent', email: maskEmail(address), reason: 'provider_refused' },
          ip,
        );
      } else {
        o.emit(
          { type: 'provider_error', reason: failure.code, error: failure.cause ?? failure },
          ip,
        );
      }
    } finally {
      running -= 1;
      if (running === 0 && idle !== null) {
        idle.resolve();
        idle = null;
      }
    }
  }

  /**
   * Answers before `allow()`, the provider or the mailer run, so the answer's timing cannot
   * tell an allowed address from a refused one, however slow they are (threat model A3). A
   * failure is reported through `onEvent`; the person sees no email and asks again.
   */
  function send(
    email: Extract<EmailResult, { ok: true }>,
    returnTo: string,
    client: Client,
  ): Outcome {
    const address = email.address;
    // Reuse this browser's nonce, so every link it asked for stays bound to it.
    const nonce = client.nonce ?? newNonce();
    const payload: StatePayload = { i: newId(), b: bindingOf(nonce), r: returnTo, e: address };
    running += 1;
    void o.background(() => sendInBackground(address, email.canonical, payload, client));
    return { kind: 'sent', nonce };
  }

  /** Resolves once no send is running: those started before the call, and any started since. */
  async function drain(): Promise<void> {
    if (running === 0) return;
    if (idle === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      idle = { promise, resolve };
    }
    await idle.promise;
  }

  return { send, drain };
}
