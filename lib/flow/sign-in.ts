import { MagicLinkError } from '../errors';
import type { SendEmail } from '../options';
import type { MagicLinkProfile } from '../profile';
import { providerClient, signInOf } from '../providers/provider';
import type { Provider, ProviderTokens, ResolvedCapabilities } from '../providers/provider';
import type { Store } from '../stores/store';
import { restorable, sameAddress } from './credential';
import { parseEmail } from './email';
import { createCodeBudget } from './rate-limit';
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
import type { DrainOptions, DrainResult } from './send';
import { createThirdPartyLinks } from './third-party-link';
import { withTimeout } from './timeout';
import type { Client, ConfirmInput, FlowEvent, LandInput } from './inputs';

export type { Client, ConfirmInput, FlowEvent, LandInput } from './inputs';

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
  /**
   * The throttle key of the address in the state; `null` when there is none to count, or when
   * the browser does not hold the state's binding (it is refused without costing the address).
   */
  readonly throttleKey: string | null;
  /** The state's payload, if it is genuine and expired less than a day ago. */
  readonly payload: StatePayload | null;
  /** The payload's address, parsed; `null` without a payload. */
  readonly email: EmailResult | null;
  /** Whether the browser holds the state's binding: only that browser may have a new link. */
  readonly bound: boolean;
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
  /** Resolves once every background send started so far has finished, or `timeoutMs` passed. */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /** What a sign-in request is about: its address, parsed. */
  requestSubject(email: unknown): RequestSubject;
  /**
   * What a resend is about: its state, opened for a resend, the address in it, and whether the
   * browser with `nonce` holds its binding.
   */
  resendSubject(state: unknown, nonce: string | null): ResendSubject;
}

/** The key an address's code budget is counted under: its throttle key, as for the email limits. */
function budgetKey(address: string): string {
  const parsed = parseEmail(address);
  return parsed.ok ? parsed.throttleKey : address.trim().toLowerCase();
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
  // One failure budget per address for every kind of code (email, relay, Magic Auth), kept
  // here rather than in a provider so that no kind of code has a budget of its own (A11).
  const budget = createCodeBudget(deps.store);

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

  async function verified(
    payload: StatePayload,
    signIn: { profile: MagicLinkProfile; tokens?: ProviderTokens | null },
    method: SignInMethod,
    bound: boolean,
  ): Promise<Outcome> {
    const { profile } = signIn;
    // The address signed in: the code guesses against it start again from zero. A store that
    // fails here leaves the count as it was (the safe side) and does not undo the sign-in.
    await budget.reset(budgetKey(payload.e)).catch(() => undefined);
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
      await relay.hold(payload.b, payload.i, fields, payload.e);
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
    // Every comparison is charged before it is made: when the relay holds a sign-in and the
    // provider has a code for this browser too, one typed code is checked against both, which
    // is two chances at a guess, so it costs two.
    const reserve = (email: string) => budget.reserve(budgetKey(email));
    const relayed = relay ? await relay.claim(binding, code, reserve) : null;
    if (relay && relayed) {
      try {
        return await confirm({ ...input, ...relayed.fields, relayed: true });
      } catch (err) {
        // A passing failure spent nothing: the same code works again.
        if (restorable(err) && err.code !== 'ERR_LINK_INVALID')
          await relay
            .hold(binding, relayed.id, relayed.fields, relayed.email)
            .catch(() => undefined);
        throw err;
      }
    }
    if (!provider.verifyCode) throw new MagicLinkError('ERR_CODE_INVALID', 'Wrong code');
    let charged = false;
    const checked = await call(
      provider.verifyCode(binding, code, providerClient(input), (email) => {
        charged = true;
        return reserve(email);
      }),
    );
    const payload = states.open(checked.state);
    // A provider that never said whose code it checked is charged now, and refused when the
    // address is locked, so its right code cannot sign in past the budget either.
    if (!charged) await reserve(payload.e);
    if ((await pending.spend(payload.i)) === null)
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'No pending sign-in');
    return verified(payload, checked, 'code', holdsBinding(input.nonce, payload.b));
  }

  function requestSubject(input: unknown): RequestSubject {
    const email = parseEmail(input);
    return { throttleKey: email.ok ? email.throttleKey : null, email };
  }

  function resendSubject(state: unknown, nonce: string | null): ResendSubject {
    const payload = states.resendable(state);
    const email = payload ? parseEmail(payload.e) : null;
    const bound = payload !== null && holdsBinding(nonce, payload.b);
    return { throttleKey: bound && email?.ok ? email.throttleKey : null, payload, email, bound };
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
    async resend(input, subject = resendSubject(input.state, input.nonce)) {
      const { payload, email } = subject;
      if (!payload || !email) throw new MagicLinkError('ERR_STATE_INVALID', 'Resend state invalid');
      // The new link goes to the address in the state, so only the browser that asked for the
      // old one may have it: bound to any other browser, an attacker's own link opened in a
      // victim's browser would sign the victim in as the attacker (login CSRF), and a mail
      // scanner's jar would get links the owner can never use. Others type an address instead.
      if (!subject.bound)
        throw new MagicLinkError(
          'ERR_RESEND_ELSEWHERE',
          'Resend from a browser without the binding',
        );
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
