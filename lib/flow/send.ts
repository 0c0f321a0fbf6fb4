import { MagicLinkError } from '../errors';
import type { SendEmail } from '../options';
import { providerClient } from '../providers/provider';
import type { Provider } from '../providers/provider';
import type { EmailResult } from './email';
import type { Outcome } from './outcomes';
import { bindingOf, maskEmail, newId, newNonce } from './pending';
import type { StatePayload } from './pending';
import type { PendingStore } from './pending-store';
import type { Client, FlowEvent } from './inputs';
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

/** How long `drain()` may wait. */
export interface DrainOptions {
  /**
   * Stop waiting after this many milliseconds, even if a send is still running (a mailer that
   * hangs). @default no limit: wait for every send
   */
  timeoutMs?: number;
}

/** What `drain()` found. */
export interface DrainResult {
  /** `true` when every send had finished; `false` when `timeoutMs` passed first. */
  settled: boolean;
  /** Sends still running when `drain()` resolved: 0 when settled. */
  pending: number;
}

function checkDrainTimeout(options: DrainOptions): number | undefined {
  const value = (options as DrainOptions | null)?.timeoutMs;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new TypeError(
      `drain: timeoutMs must be a finite number of milliseconds, 0 or more (got ${String(value)}). Pass e.g. router.drain({ timeoutMs: 10_000 }).`,
    );
  return value;
}

/** Sends sign-in links in the background, after the answer (see `send`). */
export function createSender(o: SenderDeps): {
  send(email: Extract<EmailResult, { ok: true }>, returnTo: string, client: Client): Outcome;
  drain(options?: DrainOptions): Promise<DrainResult>;
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
      // The state to resend is remembered in the same round trip (one write, not two); if
      // sending then fails, a resend from it offers a new link, which is all it can do.
      await o.pending.open(payload.i, payload.b, o.rememberState ? state : undefined);
      try {
        await deliver(address, payload, state, client);
      } catch (err) {
        await o.pending.spend(payload.i).catch(() => undefined);
        throw err;
      }
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

  /**
   * Resolves once no send is running (those started before the call, and any started since),
   * or once `timeoutMs` has passed, whichever is first, so a hung mailer cannot hold a shutdown.
   */
  async function drain(options: DrainOptions = {}): Promise<DrainResult> {
    const timeoutMs = checkDrainTimeout(options);
    if (running === 0) return { settled: true, pending: 0 };
    if (idle === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      idle = { promise, resolve };
    }
    if (timeoutMs === undefined) {
      await idle.promise;
      return { settled: true, pending: 0 };
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([idle.promise, timedOut]);
    clearTimeout(timer);
    return first === 'timeout'
      ? { settled: false, pending: running }
      : { settled: true, pending: 0 };
  }

  return { send, drain };
}
