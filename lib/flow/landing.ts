import { MagicLinkError } from '../errors';
import { checkCode } from './credential';
import type { Outcome, SignInMethod } from './outcomes';
import type { RelayFields } from './relay';
import { bindingOf, holdsBinding } from './pending';
import type { StatePayload } from './pending';
import type { PendingStore } from './pending-store';
import type { Rescue } from './rescue';
import type { Client, ConfirmInput, LandInput } from './inputs';
import { RESEND_GRACE_MS } from './state';
import type { StateCodec } from './state';
import type { ThirdPartyLinks } from './third-party-link';

export interface LandingDeps {
  crossDevice: 'relay' | 'confirm' | 'deny';
  states: StateCodec;
  pending: PendingStore;
  /** Wired only when the provider emails its own link. */
  rescue: Rescue | null;
  /** Codes held for a sign-in after a transient failure (wrapped links). */
  held: Rescue;
  /** Wired only when the provider can `follow`. */
  links: ThirdPartyLinks | null;
  complete: (
    payload: StatePayload,
    code: string,
    method: SignInMethod,
    client: Client,
    /** Whether `client` holds the binding: every caller has checked it already. */
    bound: boolean,
    holdAgain?: () => Promise<void>,
  ) => Promise<Outcome>;
  /** A browser without the binding landed on (or confirmed) a link: relay, confirm or refuse. */
  elsewhere: (payload: StatePayload, fields: RelayFields) => Promise<Outcome>;
  /** Reports a landing without the binding (`link_opened_elsewhere`). */
  openedElsewhere: (payload: StatePayload, input: LandInput) => void;
}

/**
 * Landing on a link (GET or HEAD) and confirming it (the confirmation page's POST), for our own
 * callback links and for wrapped third-party links. A failure carries the state its expired
 * page needs for the one-click resend.
 */
export function createLanding(d: LandingDeps): {
  land(input: LandInput): Promise<Outcome>;
  confirm(input: ConfirmInput): Promise<Outcome>;
} {
  const { crossDevice, states, pending, rescue, held, links, complete, elsewhere } = d;
  const methodOf = (bound: boolean, input: ConfirmInput): SignInMethod =>
    input.relayed ? 'relay' : bound ? 'link' : 'confirmed';
  // A scanner's code is kept under the asking browser's binding, not under the state: a provider
  // may document only `error=` on the redirect that answers the person's own click.
  const rescueKey = (binding: string) => `b:${binding}`;

  async function requirePending(id: string): Promise<void> {
    if (!(await pending.exists(id)))
      throw new MagicLinkError(
        'ERR_LINK_EXPIRED',
        'No pending sign-in (expired, used or never sent)',
      );
  }

  /**
   * A confirmation from a browser without the binding: refused under `'deny'`; under `'relay'`
   * it gets the relay code again and spends nothing; `null` under `'confirm'`, which goes on.
   */
  async function unboundConfirm(
    payload: StatePayload,
    fields: RelayFields,
  ): Promise<Outcome | null> {
    if (crossDevice === 'confirm') return null;
    if (crossDevice === 'deny')
      throw new MagicLinkError('ERR_CROSS_DEVICE_DENIED', 'Link confirmed in another browser');
    await requirePending(payload.i);
    return elsewhere(payload, fields);
  }

  async function landCallback(input: LandInput & { via: 'callback' }): Promise<Outcome> {
    if (input.error !== undefined) {
      const rescued = await tryRescue(input);
      if (rescued) return rescued;
      const err = new MagicLinkError(
        'ERR_LINK_EXPIRED',
        `Provider answered error=${input.error.slice(0, 40)}`,
      );
      if (input.state === undefined && rescue && input.nonce)
        err.context.resendState = (await pending.lastState(bindingOf(input.nonce))) ?? undefined;
      throw err;
    }
    const code = checkCode(input.code);
    const payload = states.open(input.state);
    // Read before anything is spent: a take that times out against a hung store may still run
    // there later and spend the link, where a read spends nothing.
    await requirePending(payload.i);
    const bound = holdsBinding(input.nonce, payload.b);
    if (rescue && !bound)
      await rescue.keep(rescueKey(payload.b), JSON.stringify([input.state, code]));
    if (bound && !input.head) return complete(payload, code, 'link', input, true);
    if (!bound) d.openedElsewhere(payload, input);
    return elsewhere(payload, { via: 'callback', code, state: input.state! });
  }

  /**
   * The person's own click on a link a scanner already burned comes back as an error. If the
   * scanner delivered the code here first, the browser that asked (and only it) finishes.
   */
  async function tryRescue(input: LandInput & { via: 'callback' }): Promise<Outcome | null> {
    if (!rescue || !input.nonce) return null;
    const key = rescueKey(bindingOf(input.nonce));
    const record = await rescue.claim(key);
    if (record === null) return null;
    const [state, code] = JSON.parse(record) as [string, string];
    const payload = states.open(state);
    if (!holdsBinding(input.nonce, payload.b)) return null;
    return complete(payload, code, 'link', input, true, () => rescue.putBack(key, record));
  }

  async function landWrapped(input: LandInput & { via: 'wrapped' }): Promise<Outcome> {
    if (!links) throw new MagicLinkError('ERR_NOT_FOUND', 'Provider has no wrapped links');
    const { l, p } = links.open(input.t);
    await requirePending(p.i);
    const bound = holdsBinding(input.nonce, p.b);
    if (bound && !input.head) return { kind: 'redirect', location: l };
    if (!bound) d.openedElsewhere(p, input);
    return elsewhere(p, { via: 'wrapped', t: input.t! });
  }

  async function confirmWrapped(input: ConfirmInput & { via: 'wrapped' }): Promise<Outcome> {
    if (!links) throw new MagicLinkError('ERR_NOT_FOUND', 'Provider has no wrapped links');
    const { l, p } = links.open(input.t);
    const bound = holdsBinding(input.nonce, p.b);
    const unbound = bound ? null : await unboundConfirm(p, { via: 'wrapped', t: input.t! });
    if (unbound) return unbound;
    // Follow only for a sign-in still pending: a sealed link alone never makes us call out.
    await requirePending(p.i);
    // The browser confirmed, so the server spends the provider's link itself. Redirecting the
    // browser there instead would break under CSP form-action 'self' (helmet's default). A code
    // held from an earlier follow whose exchange failed for a passing reason is used first.
    const method = methodOf(bound, input);
    const kept = await held.claim(p.i);
    const holdAgain = (code: string) => () => held.putBack(p.i, code);
    if (kept !== null) return complete(p, kept, method, input, bound, holdAgain(kept));
    const params = await links.follow(l);
    if (params.get('error') !== null)
      throw new MagicLinkError('ERR_LINK_EXPIRED', 'Provider refused the link');
    if (states.open(params.get('state')).i !== p.i)
      throw new MagicLinkError('ERR_STATE_INVALID', 'Provider returned another state');
    const code = checkCode(params.get('code') ?? '');
    return complete(p, code, method, input, bound, holdAgain(code));
  }

  async function confirmCallback(input: ConfirmInput & { via: 'callback' }): Promise<Outcome> {
    const code = checkCode(input.code);
    const payload = states.open(input.state);
    const bound = holdsBinding(input.nonce, payload.b);
    const unbound = bound
      ? null
      : await unboundConfirm(payload, { via: 'callback', code, state: input.state! });
    if (unbound) return unbound;
    return complete(payload, code, methodOf(bound, input), input, bound);
  }

  /**
   * The state a failed link carried, if genuine, for the expired page's one-click resend: only
   * in the browser that holds its binding. Any other browser is offered the sign-in form.
   */
  function resendStateOf(
    input: { nonce: string | null } & (
      { via: 'callback'; state?: string } | { via: 'wrapped'; t?: string }
    ),
  ) {
    try {
      if (input.via === 'wrapped') {
        if (!links) return undefined;
        // An expired wrapped link still names the address; give it a fresh state for the form.
        const { p } = links.open(input.t, RESEND_GRACE_MS);
        return holdsBinding(input.nonce, p.b) ? states.seal(p, RESEND_GRACE_MS) : undefined;
      }
      const payload = states.resendable(input.state);
      return payload && holdsBinding(input.nonce, payload.b) ? input.state : undefined;
    } catch {
      return undefined;
    }
  }

  function withResend<I extends LandInput | ConfirmInput>(
    step: (input: I) => Promise<Outcome>,
  ): (input: I) => Promise<Outcome> {
    return async (input) => {
      try {
        return await step(input);
      } catch (err) {
        if (err instanceof MagicLinkError) err.context.resendState ??= resendStateOf(input);
        throw err;
      }
    };
  }

  const land = withResend<LandInput>((input) =>
    input.via === 'callback' ? landCallback(input) : landWrapped(input),
  );
  const confirm = withResend<ConfirmInput>((input) =>
    input.via === 'callback' ? confirmCallback(input) : confirmWrapped(input),
  );

  return { land, confirm };
}
