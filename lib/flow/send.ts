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
  const inFlight = new Set<Promise<void>>();

  async function sendNow(
    address: string,
    canonical: string,
    payload: StatePayload,
    client: Client,
  ): Promise<void> {
    const { ip } = client;
    // allow() sees the identity key, so a deny-list entry cannot be dodged by changing case.
    if (!(await o.allow(canonical))) {
      o.emit({ type: 'link_not_sent', email: maskEmail(address), reason: 'not_allowed' }, ip);
      return;
    }
    payload.t = Date.now();
    const state = o.states.seal(payload, o.ttlMs);
    // Opened before the email goes out, so a click that beats this job's last step still finds
    // it; withdrawn if sending fails, so a link from a failed attempt finds no record.
    await o.pending.open(payload.i, payload.b);
    try {
      await deliver(address, payload, state, client);
    } catch (err) {
      await o.pending.spend(payload.i).catch(() => undefined);
      throw err;
    }
    if (o.rememberState) await o.pending.remember(payload.b, state);
    o.emit({ type: 'link_sent', email: maskEmail(address) }, ip);
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
    const job: Promise<void> = sendNow(address, email.canonical, payload, client)
      .catch((err: unknown) => {
        const failure =
          err instanceof MagicLinkError
            ? err
            : new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'Sending failed', { cause: err });
        if (failure.code === 'ERR_SIGN_IN_REFUSED') {
          // The provider will not sign this address in (WorkOS: sign-up is off and there is no
          // such user). The visitor got the same answer as everyone; only the app is told.
          o.emit(
            { type: 'link_not_sent', email: maskEmail(address), reason: 'provider_refused' },
            client.ip,
          );
          return;
        }
        o.emit(
          { type: 'provider_error', reason: failure.code, error: failure.cause ?? failure },
          client.ip,
        );
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    return { kind: 'sent', nonce };
  }

  async function drain(): Promise<void> {
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  return { send, drain };
}
