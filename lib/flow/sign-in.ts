import { MagicLinkError } from '../errors';
import type { MagicLinkEvent, SendEmail } from '../options';
import type { MagicLinkProfile } from '../profile';
import { providerClient, signInOf } from '../providers/provider';
import type { Provider, ProviderTokens, ResolvedCapabilities } from '../providers/provider';
import type { Store } from '../stores/store';
import { restorable, sameAddress } from './credential';
import { parseEmail } from './email';
import type { EmailResult } from './email';
import type { Outcome, SignInMethod } from './outcomes';
import { bindingOf, holdsBinding, maskEmail } from './pending';
import type { StatePayload } from './pending';
import { createPendingStore } from './pending-store';
import { createRelay } from './relay';
import type { RelayFields } from './relay';
import { classifyOpen } from './telemetry';
import { createRescue } from './rescue';
import { safeReturnTo } from './return-to';
import { createStateCodec } from './state';
import { createLanding } from './landing';
import { createSender } from './send';
import { createThirdPartyLinks } from './third-party-link';
import { withTimeout } from './timeout';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the flow reports it; the router adds the time and the client IP. */
export type FlowEvent = DistributiveOmit<MagicLinkEvent, 'at' | 'ip'>;

export interface SignInFlowDeps {
  provider: Provider;
  capabilities: ResolvedCapabilities;
  /** The router's view of the store (pending records, rescue); the provider has its own. */
  store: Store;
  secrets: readonly string[];
  origin: string;
  redirectUri: string;
  /** Absolute URL of the wrapped-link route, for links the provider lets us follow. */
  openUrl: string;
  delivery: 'provider' | SendEmail;
  allow: (email: string) => boolean | Promise<boolean>;
  crossDevice: 'relay' | 'confirm' | 'deny';
  afterSignIn: string;
  providerTimeoutMs: number;
  emit: (event: FlowEvent, ip: string) => void;
  /**
   * Runs a send that goes on after the answer. Telemetry gives it a span of its own, linked to
   * the request's; without telemetry it just calls the job.
   * @default calls the job
   */
  background?: (job: () => Promise<void>) => Promise<void>;
}

/**
 * What every step is told about the browser: its pending nonce (if any), IP, user agent and
 * language. The router picks the language (from `Accept-Language` or the `locale` option); the
 * flow only carries the tag into the email.
 */
export interface Client {
  nonce: string | null;
  ip: string;
  userAgent?: string | null;
  /** A shipped locale tag such as `'fr'`. @default 'en' */
  locale?: string;
}

export type LandInput = Client & {
  head: boolean;
  /** The request carried query parameters the link never has (a `follow=true`-style probe). */
  probe?: boolean;
} & (
    | { via: 'callback'; code?: string; state?: string; error?: string }
    | { via: 'wrapped'; t?: string }
  );
export type ConfirmInput = Client & {
  /** Finishing a relayed sign-in: the browser typed the code another browser was shown. */
  relayed?: boolean;
} & ({ via: 'callback'; code?: string; state?: string } | { via: 'wrapped'; t?: string });

/**
 * A sign-in request's address, parsed once: the router counts its throttle key against the
 * limits, then `request` sends to it.
 */
export interface RequestSubject {
  /** The address's throttle key; `null` when it does not parse. */
  readonly throttleKey: string | null;
  readonly email: EmailResult;
}

/** A resend's state, opened once: the router counts the throttle key, then `resend` uses it. */
export interface ResendSubject {
  /** The throttle key of the address in the state; `null` when there is none to count. */
  readonly throttleKey: string | null;
  /** The state's payload, if it is genuine and expired less than a day ago. */
  readonly payload: StatePayload | null;
  /** The payload's address, parsed; `null` without a payload. */
  readonly email: EmailResult | null;
}

export interface SignInFlow {
  /** `subject`: what {@link SignInFlow.requestSubject} made of `input.email`, if already made. */
  request(
    input: Client & { email: unknown; returnTo: unknown },
    subject?: RequestSubject,
  ): Promise<Outcome>;
  /** `subject`: what {@link SignInFlow.resendSubject} made of `input.state`, if already made. */
  resend(input: Client & { state: unknown }, subject?: ResendSubject): Promise<Outcome>;
  /** A GET or HEAD of a link: completes only in the browser that asked. */
  land(input: LandInput): Promise<Outcome>;
  /** The confirmation page's button, in whichever browser pressed it. */
  confirm(input: ConfirmInput): Promise<Outcome>;
  verifyCode(input: Client & { code: unknown }): Promise<Outcome>;
  /** Resolves once every background send started so far has finished. */
  drain(): Promise<void>;
  /** What a sign-in request is about: its address, parsed. */
  requestSubject(email: unknown): RequestSubject;
  /** What a resend is about: its state, opened for a resend, and the address in it. */
  resendSubject(state: unknown): ResendSubject;
}

/**
 * The sign-in flow: plain values in, outcomes out. It never sees `req` or `res` and never names
 * a provider; what differs between providers is wired here once, from their capabilities.
 */
export function createSignInFlow(deps: SignInFlowDeps): SignInFlow {
  const { provider, capabilities } = deps;
  const ttlMs = provider.linkTtlMs;
  const states = createStateCodec(deps.secrets);
  const pending = createPendingStore(deps.store, ttlMs, capabilities.remote);
  const providerSends = deps.delivery === 'provider';
  const held = createRescue(deps.store, Math.min(ttlMs, capabilities.codeTtlMs));
  const rescue = providerSends ? held : null;
  const relay = deps.crossDevice === 'relay' ? createRelay(deps.store, deps.secrets, ttlMs) : null;
  const links = provider.follow
    ? createThirdPartyLinks({
        secrets: deps.secrets,
        openUrl: deps.openUrl,
        follow: provider.follow.bind(provider),
        timeoutMs: deps.providerTimeoutMs,
      })
    : null;
  const call = <T>(promise: Promise<T>) => withTimeout(promise, deps.providerTimeoutMs);

  const sender = createSender({
    provider,
    providerSends,
    delivery: deps.delivery,
    redirectUri: deps.redirectUri,
    ttlMs,
    states,
    pending,
    links,
    rememberState: rescue !== null,
    allow: deps.allow,
    emit: deps.emit,
    call,
    background: deps.background ?? ((job) => job()),
  });

  /** Spends the pending record, then the provider's code; gives the record back where `restorable`. */
  async function complete(
    payload: StatePayload,
    code: string,
    method: SignInMethod,
    client: Client,
    /** `holdsBinding(client.nonce, payload.b)`, which every caller has already worked out. */
    bound: boolean,
    /** Called when the code came from our hands and a passing failure spent nothing of it. */
    holdAgain?: () => Promise<void>,
  ): Promise<Outcome> {
    const binding = await pending.spend(payload.i);
    if (binding === null)
      throw new MagicLinkError(
        'ERR_LINK_EXPIRED',
        'No pending sign-in (expired, used or never sent)',
      );
    let profile: MagicLinkProfile;
    let tokens: ProviderTokens | null;
    try {
      ({ profile, tokens } = signInOf(await call(provider.finish(code, providerClient(client)))));
    } catch (err) {
      if (restorable(err) && (await pending.mayRetry(payload.i, err))) {
        await pending.giveBack(payload.i, binding);
        if (holdAgain && err.code !== 'ERR_LINK_INVALID') await holdAgain();
      }
      throw err;
    }
    // The credential and the state must name the same address, so the confirmation page can
    // never show one account while another signs in.
    if (!sameAddress(profile.email, payload.e)) {
      await pending.giveBack(payload.i, binding);
      throw new MagicLinkError('ERR_STATE_INVALID', 'The code belongs to another sign-in');
    }
    return verified(payload, { profile, tokens }, method, bound);
  }

  function verified(
    payload: StatePayload,
    signIn: { profile: MagicLinkProfile; tokens?: ProviderTokens | null },
    method: SignInMethod,
    bound: boolean,
  ): Outcome {
    const { profile } = signIn;
    return {
      kind: 'verified',
      profile,
      tokens: signIn.tokens ?? null,
      returnTo: payload.r,
      method,
      bound,
    };
  }

  /**
   * Another browser opened the link: show it a relay code (`'relay'`), ask it to confirm
   * (`'confirm'`), or refuse (`'deny'`). Nothing is spent.
   */
  async function elsewhere(payload: StatePayload, fields: RelayFields): Promise<Outcome> {
    if (deps.crossDevice === 'deny')
      throw new MagicLinkError('ERR_CROSS_DEVICE_DENIED', 'Link opened in another browser');
    const maskedEmail = maskEmail(payload.e);
    if (relay) {
      await relay.hold(payload.b, payload.i, fields);
      return { kind: 'relay', code: relay.codeFor(payload.i), maskedEmail };
    }
    const { via, ...posted } = fields;
    return { kind: 'confirm', via, email: payload.e, maskedEmail, fields: posted };
  }

  function openedElsewhere(payload: StatePayload, input: LandInput): void {
    const sinceSentMs = typeof payload.t === 'number' ? Math.max(0, Date.now() - payload.t) : null;
    deps.emit(
      {
        type: 'link_opened_elsewhere',
        email: maskEmail(payload.e),
        via: input.via,
        classification: classifyOpen({ ...input, sinceSentMs }),
        sinceSentMs,
      },
      input.ip,
    );
  }

  const { land, confirm } = createLanding({
    crossDevice: deps.crossDevice,
    states,
    pending,
    rescue,
    held,
    links,
    complete,
    elsewhere,
    openedElsewhere,
  });

  async function verifyCode(input: Client & { code: unknown }): Promise<Outcome> {
    const code = (typeof input.code === 'string' ? input.code : '').replace(/[\s-]/g, '');
    if (!input.nonce || !/^[0-9]{6}$/.test(code))
      throw new MagicLinkError(
        'ERR_CODE_INVALID',
        input.nonce ? 'Malformed code' : 'No pending cookie',
      );
    const binding = bindingOf(input.nonce);
    const relayed = relay ? await relay.claim(binding, code) : null;
    if (relay && relayed) {
      try {
        return await confirm({ ...input, ...relayed.fields, relayed: true });
      } catch (err) {
        // A passing failure spent nothing: the same code works again.
        if (restorable(err) && err.code !== 'ERR_LINK_INVALID')
          await relay.hold(binding, relayed.id, relayed.fields).catch(() => undefined);
        throw err;
      }
    }
    if (!provider.verifyCode) throw new MagicLinkError('ERR_CODE_INVALID', 'Wrong code');
    const checked = await call(
      provider.verifyCode(bindingOf(input.nonce), code, providerClient(input)),
    );
    const payload = states.open(checked.state);
    if ((await pending.spend(payload.i)) === null)
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'No pending sign-in');
    return verified(payload, checked, 'code', holdsBinding(input.nonce, payload.b));
  }

  function requestSubject(input: unknown): RequestSubject {
    const email = parseEmail(input);
    return { throttleKey: email.ok ? email.throttleKey : null, email };
  }

  function resendSubject(state: unknown): ResendSubject {
    const payload = states.resendable(state);
    const email = payload ? parseEmail(payload.e) : null;
    return { throttleKey: email?.ok ? email.throttleKey : null, payload, email };
  }

  return {
    async request(input, subject = requestSubject(input.email)) {
      const returnTo = safeReturnTo(input.returnTo, deps.origin, deps.afterSignIn);
      const { email } = subject;
      if (!email.ok) {
        const err = new MagicLinkError('ERR_BAD_EMAIL', `Email ${email.reason}`);
        err.context.returnTo = returnTo;
        throw err;
      }
      return sender.send(email, returnTo, input);
    },
    async resend(input, subject = resendSubject(input.state)) {
      const { payload, email } = subject;
      if (!payload || !email) throw new MagicLinkError('ERR_STATE_INVALID', 'Resend state invalid');
      if (!email.ok) throw new MagicLinkError('ERR_STATE_INVALID', 'Resend state names no address');
      return sender.send(email, safeReturnTo(payload.r, deps.origin, deps.afterSignIn), input);
    },
    land,
    confirm,
    verifyCode,
    drain: sender.drain,
    requestSubject,
    resendSubject,
  };
}
