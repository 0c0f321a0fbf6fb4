import { randomUUID } from 'node:crypto';
import { ERRORS, MagicLinkError } from '../../lib/errors';
import type { MagicLinkErrorCode } from '../../lib/errors';
import { parseEmail } from '../../lib/flow/email';
import { bindingOf, newNonce } from '../../lib/flow/pending';
import { createSignInFlow } from '../../lib/flow/sign-in';
import type { FlowEvent, SignInFlow } from '../../lib/flow/sign-in';
import { MAX_REFUSED_CODES } from '../../lib/flow/pending-store';
import { createStateCodec, RESEND_GRACE_MS } from '../../lib/flow/state';
import type { Outcome } from '../../lib/flow/outcomes';
import type { OutgoingLink } from '../../lib/options';
import type { MagicLinkProfile } from '../../lib/profile';
import { capabilitiesOf } from '../../lib/providers/provider';
import type { Provider, StartContext, StartResult } from '../../lib/providers/provider';
import { selfHostedProvider } from '../../lib/providers/self-hosted';
import { guardStore } from '../../lib/stores/guard';
import { memoryStore } from '../../lib/stores/memory';
import type { MemoryStore } from '../../lib/stores/memory';
import { prefixedStore } from '../../lib/stores/prefix';

const SECRETS = ['flow-test-secret-0123456789abcdef0123456789abcdef'];
const ORIGIN = 'https://app.example.com';
const REDIRECT_URI = `${ORIGIN}/auth/callback`;
const OPEN_URL = `${ORIGIN}/auth/magic-link/open`;
const IP = '203.0.113.7';
const ALICE = 'alice@example.com';
const TTL_MS = 15 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const states = createStateCodec(SECRETS);

function profileOf(email: string): MagicLinkProfile {
  return {
    id: `user_${email}`,
    idpId: `user_${email}`,
    organizationId: null,
    connectionId: 'conn_stub',
    connectionType: 'MagicLink',
    email,
    firstName: null,
    lastName: null,
    rawAttributes: {},
  };
}

interface StubOptions {
  /** Declares `capabilities.sendsOwnEmail`. */
  sendsOwnEmail?: boolean;
  /** Issues links on its own host and implements `follow` (scanner-safe wrapped links). */
  follows?: boolean;
  /** Declares `capabilities.remote` (left out: the default, remote). */
  remote?: boolean;
}

/** A provider that keeps everything in memory and records every call. */
interface StubProvider extends Provider {
  readonly starts: (StartContext & { email: string })[];
  readonly finishes: string[];
  readonly follows: string[];
  revokes: number;
  /** Errors `finish` throws, first in first out, before it looks at (or spends) the code. */
  readonly failFinish: unknown[];
  /** The address `finish` reports instead of the one the code was issued for. */
  profileEmail: string | null;
  /** The links the provider emailed itself (`providerSends`). */
  readonly outbox: { email: string; link: string }[];
  /** Codes issued and not yet spent. */
  readonly unspent: Set<string>;
}

function stubProvider(options: StubOptions = {}): StubProvider {
  const codes = new Map<string, string>();
  const hosted = new Map<string, { callback: string; used: boolean }>();
  const stub: StubProvider = {
    name: 'stub',
    linkTtlMs: TTL_MS,
    ...(options.sendsOwnEmail !== undefined || options.remote !== undefined
      ? {
          capabilities: {
            ...(options.sendsOwnEmail ? { sendsOwnEmail: true } : {}),
            ...(options.remote !== undefined ? { remote: options.remote } : {}),
          },
        }
      : {}),
    starts: [],
    finishes: [],
    follows: [],
    revokes: 0,
    failFinish: [],
    profileEmail: null,
    outbox: [],
    get unspent() {
      return new Set(codes.keys());
    },
    async start(email, ctx): Promise<StartResult> {
      stub.starts.push({ email, ...ctx });
      const code = `c_${randomUUID().replace(/-/g, '')}`;
      codes.set(code, email);
      const callback = new URL(ctx.redirectUri);
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', ctx.state);
      let link = callback.href;
      if (options.follows) {
        const token = randomUUID();
        hosted.set(token, { callback: callback.href, used: false });
        link = `https://provider.example/link/${token}`;
      }
      if (ctx.providerSends) stub.outbox.push({ email, link });
      return {
        link: ctx.providerSends ? null : link,
        expiresAt: new Date(Date.now() + TTL_MS),
        code: null,
        revoke: async () => {
          stub.revokes += 1;
          codes.delete(code);
        },
      };
    },
    async finish(code) {
      stub.finishes.push(code);
      if (stub.failFinish.length > 0) throw stub.failFinish.shift();
      const email = codes.get(code);
      codes.delete(code);
      if (email === undefined) throw new MagicLinkError('ERR_LINK_INVALID', 'stub: unknown code');
      return profileOf(stub.profileEmail ?? email);
    },
    ...(options.follows
      ? {
          async follow(link: string) {
            stub.follows.push(link);
            const entry = hosted.get(link.slice(link.lastIndexOf('/') + 1));
            if (!entry) throw new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'stub: 404');
            const params = new URL(entry.callback).searchParams;
            if (entry.used) {
              params.delete('code');
              params.set('error', 'access_denied');
            }
            entry.used = true;
            return params;
          },
        }
      : {}),
  };
  return stub;
}

interface Setup {
  flow: SignInFlow;
  store: MemoryStore;
  mail: OutgoingLink[];
  events: FlowEvent[];
  /** The IP each event was emitted with, in order. */
  eventIps: string[];
}

/** The deps object, built the way `lib/router/index.ts` builds it. */
function setup(
  provider: Provider,
  options: {
    delivery?: 'provider' | ((message: OutgoingLink) => Promise<void>);
    crossDevice?: 'confirm' | 'deny';
    allow?: (email: string) => boolean | Promise<boolean>;
    providerTimeoutMs?: number;
  } = {},
): Setup {
  const store = memoryStore({ warnInProduction: false });
  const guarded = guardStore(store);
  provider.init?.({ store: prefixedStore(guarded, `p:${provider.name}:`), secrets: SECRETS });
  const mail: OutgoingLink[] = [];
  const events: FlowEvent[] = [];
  const eventIps: string[] = [];
  const flow = createSignInFlow({
    provider,
    capabilities: capabilitiesOf(provider),
    store: guarded,
    secrets: SECRETS,
    origin: ORIGIN,
    redirectUri: REDIRECT_URI,
    openUrl: OPEN_URL,
    delivery:
      options.delivery ??
      (async (message) => {
        mail.push(message);
      }),
    allow: options.allow ?? (() => true),
    crossDevice: options.crossDevice ?? 'confirm',
    afterSignIn: '/',
    providerTimeoutMs: options.providerTimeoutMs ?? 10_000,
    emit: (event, ip) => {
      events.push(event);
      eventIps.push(ip);
    },
  });
  return { flow, store, mail, events, eventIps };
}

/** The code and state of a callback link. */
function partsOf(link: string): { code: string; state: string } {
  const params = new URL(link).searchParams;
  return { code: params.get('code')!, state: params.get('state')! };
}

function pendingKey(state: string): string {
  return `pending:${states.resendable(state)!.i}`;
}

async function rejection(promise: Promise<unknown>, code: MagicLinkErrorCode) {
  const err = await promise.then(
    (value) => {
      throw new Error(`expected ${code}, but it resolved with ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MagicLinkError);
  expect((err as MagicLinkError).code).toBe(code);
  return err as MagicLinkError;
}

function sentNonce(outcome: Outcome): string {
  if (outcome.kind !== 'sent') throw new Error(`expected sent, got ${outcome.kind}`);
  return outcome.nonce;
}

/** Asks for a link from a new browser; its nonce, and the code and state our email carries. */
async function ask(s: Setup, email = ALICE, returnTo: unknown = '/account') {
  const nonce = sentNonce(await s.flow.request({ email, returnTo, nonce: null, ip: IP }));
  await s.flow.drain();
  const { link } = s.mail[s.mail.length - 1]!;
  return { nonce, link, ...partsOf(link) };
}

/** A GET of a callback link, with only its code and state taken from `fields`. */
function landCallback(nonce: string | null, fields: { code?: string; state?: string }) {
  return {
    via: 'callback' as const,
    nonce,
    ip: IP,
    head: false,
    code: fields.code,
    state: fields.state,
  };
}

/** The provider's redirect after a burned link: `error=access_denied`, with the state. */
function accessDenied(nonce: string | null, state: string) {
  return { via: 'callback' as const, nonce, ip: IP, head: false, error: 'access_denied', state };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('request', () => {
  it('sends one email, opens one pending record bound to the new nonce, and emits link_sent', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const { nonce, link, state } = await ask(s);
    expect(provider.starts).toHaveLength(1);
    expect(provider.starts[0]).toMatchObject({
      email: ALICE,
      redirectUri: REDIRECT_URI,
      binding: bindingOf(nonce),
      providerSends: false,
      state,
    });
    expect(s.mail).toEqual([
      { to: ALICE, link, code: null, expiresAt: expect.any(Date), locale: 'en' },
    ]);
    expect(await s.store.get(pendingKey(state))).toBe('1');
    expect(states.open(state)).toMatchObject({ e: ALICE, r: '/account', b: bindingOf(nonce) });
    expect(s.events).toEqual([{ type: 'link_sent', email: 'a•••@example.com' }]);
    expect(s.eventIps).toEqual([IP]);
  });

  it('carries the client’s language into the email, on a request and on a resend', async () => {
    const s = setup(stubProvider());
    const sent = await s.flow.request({
      email: ALICE,
      returnTo: '/account',
      nonce: null,
      ip: IP,
      locale: 'fr',
    });
    await s.flow.drain();
    expect(s.mail.map((m) => m.locale)).toEqual(['fr']);
    const { state } = partsOf(s.mail[0]!.link);
    await s.flow.resend({ state, nonce: sentNonce(sent), ip: IP, locale: 'ja' });
    await s.flow.drain();
    expect(s.mail.map((m) => m.locale)).toEqual(['fr', 'ja']);
  });

  it('reuses the browser nonce it is given', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const nonce = newNonce();
    const outcome = await s.flow.request({ email: ALICE, returnTo: '/', nonce, ip: IP });
    expect(outcome).toEqual({ kind: 'sent', nonce });
    await s.flow.drain();
    expect(provider.starts[0]!.binding).toBe(bindingOf(nonce));
  });

  it.each([['not an email'], [''], [42], ['a@b@c.example'], ['alice@example.com\r\nBcc: x@y.z']])(
    'a bad email %j throws ERR_BAD_EMAIL with context.returnTo, and starts nothing',
    async (email) => {
      const provider = stubProvider();
      const s = setup(provider);
      const err = await rejection(
        s.flow.request({ email, returnTo: '/account?tab=1', nonce: null, ip: IP }),
        'ERR_BAD_EMAIL',
      );
      expect(err.context.returnTo).toBe('/account?tab=1');
      expect(provider.starts).toHaveLength(0);
      expect(s.mail).toHaveLength(0);
      expect(s.store.size).toBe(0);
    },
  );

  it('a bad email with an off-site returnTo carries afterSignIn instead', async () => {
    const s = setup(stubProvider());
    const err = await rejection(
      s.flow.request({ email: 'nope', returnTo: 'https://evil.example/x', nonce: null, ip: IP }),
      'ERR_BAD_EMAIL',
    );
    expect(err.context.returnTo).toBe('/');
  });

  it('an address allow() refuses gets the same answer, but no start, email or record, and link_not_sent', async () => {
    const provider = stubProvider();
    const s = setup(provider, { allow: () => false });
    const outcome = await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP });
    expect(outcome.kind).toBe('sent');
    await s.flow.drain();
    expect(provider.starts).toHaveLength(0);
    expect(s.mail).toHaveLength(0);
    expect(s.store.size).toBe(0);
    expect(s.events).toEqual([
      { type: 'link_not_sent', email: 'a•••@example.com', reason: 'not_allowed' },
    ]);
    expect(s.eventIps).toEqual([IP]);
  });

  it('allow() is asked with the canonical address (lower-cased local part)', async () => {
    const asked: string[] = [];
    const provider = stubProvider();
    const s = setup(provider, {
      allow: (email) => {
        asked.push(email);
        return email !== 'mallory@example.com';
      },
    });
    await s.flow.request({ email: 'Alice@Example.COM', returnTo: '/', nonce: null, ip: IP });
    // A deny-list entry in lower case cannot be dodged by changing case.
    await s.flow.request({ email: 'MALLORY@example.com', returnTo: '/', nonce: null, ip: IP });
    await s.flow.drain();
    expect(asked).toEqual([ALICE, 'mallory@example.com']);
    expect(provider.starts).toHaveLength(1);
    // The two sends run side by side; their events come in either order.
    expect(s.events.map((event) => event.type).sort()).toEqual(['link_not_sent', 'link_sent']);
  });

  it('a failed email answers sent at once, then revokes the link, opens no record and emits provider_error ERR_MAIL_FAILED', async () => {
    const provider = stubProvider();
    const smtp = new Error('SMTP down');
    const s = setup(provider, {
      delivery: async () => {
        throw smtp;
      },
    });
    const outcome = await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP });
    expect(outcome.kind).toBe('sent');
    await s.flow.drain();
    expect(provider.starts).toHaveLength(1);
    expect(provider.revokes).toBe(1);
    expect(s.store.size).toBe(0);
    expect(s.events).toEqual([{ type: 'provider_error', reason: 'ERR_MAIL_FAILED', error: smtp }]);
    expect(s.eventIps).toEqual([IP]);
  });

  it('a provider whose start throws: sent at once, then provider_error with its code, no record', async () => {
    const provider = stubProvider();
    const down = new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'stub: 503');
    provider.start = async () => {
      throw down;
    };
    const s = setup(provider);
    expect((await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP })).kind).toBe(
      'sent',
    );
    await s.flow.drain();
    expect(s.mail).toHaveLength(0);
    expect(s.store.size).toBe(0);
    expect(s.events).toEqual([
      { type: 'provider_error', reason: 'ERR_PROVIDER_UNAVAILABLE', error: down },
    ]);
  });

  it('a plain Error from allow() becomes provider_error ERR_PROVIDER_UNAVAILABLE with the cause', async () => {
    const boom = new Error('allow-list down');
    const s = setup(stubProvider(), {
      allow: () => {
        throw boom;
      },
    });
    expect((await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP })).kind).toBe(
      'sent',
    );
    await s.flow.drain();
    expect(s.events).toEqual([
      { type: 'provider_error', reason: 'ERR_PROVIDER_UNAVAILABLE', error: boom },
    ]);
  });
});

describe('background send (timing, threat model A3)', () => {
  /** A promise and the function that settles it: a gate a test opens by hand. */
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open };
  }

  it('request answers sent while delivery is still held; drain() waits for it', async () => {
    const provider = stubProvider();
    const held = gate();
    const mail: OutgoingLink[] = [];
    let delivered = false;
    const s = setup(provider, {
      delivery: async (message) => {
        mail.push(message);
        await held.opened;
        delivered = true;
      },
    });
    const outcome = await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP });
    expect(outcome.kind).toBe('sent');
    expect(delivered).toBe(false);
    expect(s.events).toHaveLength(0);
    let drained = false;
    const draining = s.flow.drain().then(() => {
      drained = true;
    });
    // Let every queued callback run: drain() still waits on the held delivery.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(mail).toHaveLength(1);
    expect(drained).toBe(false);
    // The record is open before the email goes out, so a click that beats the job still finds
    // it; nothing else is written until the email is out.
    expect(s.store.size).toBe(1);
    expect(await s.store.get(pendingKey(partsOf(mail[0]!.link).state))).toBe('1');
    held.open();
    await draining;
    expect(delivered).toBe(true);
    expect(s.events).toEqual([{ type: 'link_sent', email: 'a•••@example.com' }]);
    expect(await s.store.get(pendingKey(partsOf(mail[0]!.link).state))).toBe('1');
  });

  it('request answers sent while allow() never answers', async () => {
    const provider = stubProvider();
    const held = gate();
    const s = setup(provider, { allow: () => held.opened.then(() => true) });
    const outcome = await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP });
    expect(outcome.kind).toBe('sent');
    expect(provider.starts).toHaveLength(0);
    held.open();
    await s.flow.drain();
    expect(provider.starts).toHaveLength(1);
  });

  it('resend answers sent while delivery is held, and drain() waits for it', async () => {
    const provider = stubProvider();
    let held: ReturnType<typeof gate> | null = null;
    const mail: OutgoingLink[] = [];
    const s = setup(provider, {
      delivery: async (message) => {
        mail.push(message);
        if (held) await held.opened;
      },
    });
    const nonce = sentNonce(
      await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP }),
    );
    await s.flow.drain();
    held = gate();
    const { state } = partsOf(mail[0]!.link);
    expect(await s.flow.resend({ state, nonce, ip: IP })).toEqual({ kind: 'sent', nonce });
    let drained = false;
    const draining = s.flow.drain().then(() => {
      drained = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    held.open();
    await draining;
    expect(mail).toHaveLength(2);
    expect(s.events.map((event) => event.type)).toEqual(['link_sent', 'link_sent']);
  });

  it('drain() with nothing in flight resolves', async () => {
    await expect(setup(stubProvider()).flow.drain()).resolves.toEqual({
      settled: true,
      pending: 0,
    });
  });

  it('drain() waits for several sends, including one started while draining', async () => {
    const provider = stubProvider();
    const first = gate();
    const second = gate();
    const gates = [first, second];
    const mail: OutgoingLink[] = [];
    const s = setup(provider, {
      delivery: async (message) => {
        const held = gates[mail.length]!;
        mail.push(message);
        await held.opened;
      },
    });
    await s.flow.request({ email: ALICE, returnTo: '/', nonce: null, ip: IP });
    let drained = false;
    const draining = s.flow.drain().then(() => {
      drained = true;
    });
    await s.flow.request({ email: 'bob@example.com', returnTo: '/', nonce: null, ip: IP });
    first.open();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    second.open();
    await draining;
    expect(mail).toHaveLength(2);
    expect(s.events.map((event) => event.type)).toEqual(['link_sent', 'link_sent']);
  });
});

describe('landing a link in the browser that asked', () => {
  it('verifies once, spending the pending record and the provider code', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const { nonce, code, state } = await ask(s);
    const outcome = await s.flow.land(landCallback(nonce, { code, state }));
    expect(outcome).toEqual({
      kind: 'verified',
      profile: profileOf(ALICE),
      tokens: null,
      returnTo: '/account',
      method: 'link',
      bound: true,
    });
    expect(provider.finishes).toEqual([code]);
    expect(await s.store.get(pendingKey(state))).toBeNull();
    const again = await rejection(
      s.flow.land(landCallback(nonce, { code, state })),
      'ERR_LINK_EXPIRED',
    );
    expect(again.context.resendState).toBe(state);
    expect(provider.finishes).toHaveLength(1);
  });

  it('HEAD never spends: a confirm outcome, no finish, the record stays; GET then verifies', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const { nonce, code, state } = await ask(s);
    for (let i = 0; i < 3; i++) {
      const head = await s.flow.land({ ...landCallback(nonce, { code, state }), head: true });
      expect(head.kind).toBe('confirm');
    }
    expect(provider.finishes).toHaveLength(0);
    expect(await s.store.get(pendingKey(state))).toBe('1');
    expect((await s.flow.land(landCallback(nonce, { code, state }))).kind).toBe('verified');
  });

  it('HEAD from another browser spends nothing either', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const { code, state } = await ask(s);
    const head = await s.flow.land({ ...landCallback(null, { code, state }), head: true });
    expect(head.kind).toBe('confirm');
    expect(provider.finishes).toHaveLength(0);
    expect(provider.unspent.has(code)).toBe(true);
    expect(await s.store.get(pendingKey(state))).not.toBeNull();
  });

  it.each([
    ['a malformed code', { code: 'has spaces' }, 'ERR_LINK_INVALID'],
    ['an empty code', { code: '' }, 'ERR_LINK_INVALID'],
    ['an overlong code', { code: 'a'.repeat(513) }, 'ERR_LINK_INVALID'],
    ['a forged state', { state: 'forged' }, 'ERR_STATE_INVALID'],
  ] as const)('%s is refused before the provider is asked', async (_, override, code) => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    await rejection(
      s.flow.land(landCallback(link.nonce, { code: link.code, state: link.state, ...override })),
      code,
    );
    expect(provider.finishes).toHaveLength(0);
    expect(await s.store.get(pendingKey(link.state))).not.toBeNull();
  });

  it('a provider error on the callback (no rescue wired) is ERR_LINK_EXPIRED with a resendState', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const { nonce, state } = await ask(s);
    const err = await rejection(
      s.flow.land({ via: 'callback', nonce, ip: IP, head: false, error: 'access_denied', state }),
      'ERR_LINK_EXPIRED',
    );
    expect(err.context.resendState).toBe(state);
    expect(provider.finishes).toHaveLength(0);
  });

  it('a failed land with a forged state carries no resendState', async () => {
    const s = setup(stubProvider());
    const { nonce, code } = await ask(s);
    const err = await rejection(
      s.flow.land(landCallback(nonce, { code, state: 'forged' })),
      'ERR_STATE_INVALID',
    );
    expect(err.context.resendState).toBeUndefined();
  });
});

describe('give-back rules', () => {
  it.each(['ERR_PROVIDER_UNAVAILABLE', 'ERR_STORE_UNAVAILABLE', 'ERR_LINK_INVALID'] as const)(
    '%s from finish gives the pending record back, so the genuine link still works',
    async (code) => {
      const provider = stubProvider();
      const s = setup(provider);
      const link = await ask(s);
      provider.failFinish.push(new MagicLinkError(code, 'stub failure'));
      await rejection(s.flow.land(landCallback(link.nonce, link)), code);
      expect(await s.store.get(pendingKey(link.state))).toBe('1');
      const outcome = await s.flow.land(landCallback(link.nonce, link));
      expect(outcome.kind).toBe('verified');
      expect(provider.finishes).toEqual([link.code, link.code]);
      expect(await s.store.get(pendingKey(link.state))).toBeNull();
    },
  );

  it('a provider timeout is ERR_PROVIDER_UNAVAILABLE and gives the record back', async () => {
    jest.useFakeTimers();
    const provider = stubProvider();
    const s = setup(provider, { providerTimeoutMs: 5_000 });
    const link = await ask(s);
    const finish = provider.finish.bind(provider);
    provider.finish = () => new Promise<never>(() => undefined);
    const landing = s.flow.land(landCallback(link.nonce, link));
    const settled = rejection(landing, 'ERR_PROVIDER_UNAVAILABLE');
    await jest.advanceTimersByTimeAsync(5_000);
    await settled;
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    provider.finish = finish;
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });

  it.each([
    ['ERR_LINK_EXPIRED', new MagicLinkError('ERR_LINK_EXPIRED', 'stub')],
    ['ERR_SIGN_IN_REFUSED', new MagicLinkError('ERR_SIGN_IN_REFUSED', 'stub')],
    ['ERR_CODE_INVALID', new MagicLinkError('ERR_CODE_INVALID', 'stub')],
    ['a plain Error', new Error('boom')],
  ])('%s from finish does not give the record back', async (_, failure) => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    provider.failFinish.push(failure);
    const err = await s.flow.land(landCallback(link.nonce, link)).catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(await s.store.get(pendingKey(link.state))).toBeNull();
    await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_LINK_EXPIRED');
    expect(provider.finishes).toHaveLength(1);
  });

  it('with the real self-hosted provider, a forged code gives back and the genuine link works', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const forged = `${link.code.slice(0, -1)}${link.code.endsWith('A') ? 'B' : 'A'}`;
    await rejection(
      s.flow.land(landCallback(link.nonce, { code: forged, state: link.state })),
      'ERR_LINK_INVALID',
    );
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    const outcome = await s.flow.land(landCallback(link.nonce, link));
    expect(outcome).toMatchObject({ kind: 'verified', profile: { email: ALICE }, method: 'link' });
  });

  it('with the real self-hosted provider, a store outage during finish gives back', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const take = s.store.take.bind(s.store);
    // The pending record's take succeeds; the provider's token take (the next one) fails.
    let calls = 0;
    s.store.take = async (key) => {
      calls += 1;
      if (calls === 2) throw new Error('connection reset');
      return take(key);
    };
    await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_STORE_UNAVAILABLE');
    s.store.take = take;
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });
});

describe('refused codes (threat model A4)', () => {
  it('MAX_REFUSED_CODES is 3', () => {
    expect(MAX_REFUSED_CODES).toBe(3);
  });

  it('a remote provider: the state is spent after 3 refused codes, and the genuine code then finds no record', async () => {
    const provider = stubProvider();
    expect(capabilitiesOf(provider).remote).toBe(true);
    const s = setup(provider);
    const link = await ask(s);
    for (let i = 1; i <= 3; i++) {
      await rejection(
        s.flow.land(landCallback(link.nonce, { code: `junk_${i}`, state: link.state })),
        'ERR_LINK_INVALID',
      );
      expect(await s.store.get(pendingKey(link.state))).toBe(i < 3 ? '1' : null);
    }
    await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_LINK_EXPIRED');
    // The fourth call never reached the provider.
    expect(provider.finishes).toEqual(['junk_1', 'junk_2', 'junk_3']);
  });

  it('a remote provider: 2 refused codes, then the genuine one still verifies', async () => {
    const provider = stubProvider({ remote: true });
    const s = setup(provider);
    const link = await ask(s);
    for (let i = 1; i <= 2; i++) {
      await rejection(
        s.flow.land(landCallback(link.nonce, { code: `junk_${i}`, state: link.state })),
        'ERR_LINK_INVALID',
      );
    }
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });

  it('a remote provider: transient failures do not count against the budget', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    for (let i = 0; i < 5; i++) {
      provider.failFinish.push(new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'stub: 503'));
      await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_PROVIDER_UNAVAILABLE');
    }
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });

  it('a local provider (remote: false) keeps the give-back rule: any number of refusals', async () => {
    const provider = stubProvider({ remote: false });
    expect(capabilitiesOf(provider).remote).toBe(false);
    const s = setup(provider);
    const link = await ask(s);
    for (let i = 1; i <= 10; i++) {
      await rejection(
        s.flow.land(landCallback(link.nonce, { code: `junk_${i}`, state: link.state })),
        'ERR_LINK_INVALID',
      );
    }
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
    expect(provider.finishes).toHaveLength(11);
  });

  it('the self-hosted provider declares remote: false', () => {
    expect(capabilitiesOf(selfHostedProvider()).remote).toBe(false);
  });
});

describe('a credential for another address', () => {
  it('is ERR_STATE_INVALID, and the record is given back for the genuine link', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    provider.profileEmail = 'mallory@example.com';
    await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_STATE_INVALID');
    expect(provider.finishes).toEqual([link.code]);
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    // The genuine credential for the same sign-in still finishes.
    provider.profileEmail = null;
    const second = await ask(s);
    const mixed = await s.flow.land(
      landCallback(link.nonce, { code: second.code, state: link.state }),
    );
    expect(mixed.kind).toBe('verified');
  });

  it("mallory's own code with alice's state is refused, and alice's link still works", async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const alice = await ask(s);
    const mallory = await ask(s, 'mallory@example.com');
    await rejection(
      s.flow.confirm({
        via: 'callback',
        nonce: mallory.nonce,
        ip: IP,
        code: mallory.code,
        state: alice.state,
      }),
      'ERR_STATE_INVALID',
    );
    expect(await s.store.get(pendingKey(alice.state))).toBe('1');
    const outcome = await s.flow.land(landCallback(alice.nonce, alice));
    expect(outcome).toMatchObject({ kind: 'verified', profile: { email: ALICE } });
  });

  it('the same address in another case is the same address', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    provider.profileEmail = 'ALICE@Example.COM';
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });
});

/** The code kept for the browser that asked: keyed by its binding, stored with the state. */
async function kept(
  s: { store: { get(key: string): Promise<string | null> } },
  link: { nonce: string },
): Promise<string | null> {
  const raw = await s.store.get(`rescue:b:${bindingOf(link.nonce)}`);
  return raw === null ? null : (JSON.parse(raw) as [string, string])[1];
}

describe('rescue (the provider sends its own email)', () => {
  function rescueSetup() {
    const provider = stubProvider({ sendsOwnEmail: true });
    const s = setup(provider, { delivery: 'provider' });
    return { provider, s };
  }

  async function askProvider(s: Setup, provider: StubProvider) {
    const nonce = sentNonce(
      await s.flow.request({ email: ALICE, returnTo: '/account', nonce: null, ip: IP }),
    );
    await s.flow.drain();
    const { link } = provider.outbox[provider.outbox.length - 1]!;
    return { nonce, ...partsOf(link) };
  }

  it('the provider is told to send, and our delivery sends nothing', async () => {
    const { provider, s } = rescueSetup();
    await askProvider(s, provider);
    expect(provider.starts[0]!.providerSends).toBe(true);
    expect(provider.outbox).toHaveLength(1);
    expect(s.mail).toHaveLength(0);
  });

  it("a scanner's land keeps the code; the asking browser's error=access_denied land finishes with it", async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    // The scanner (no nonce) follows the provider's link to our callback.
    const scanned = await s.flow.land(landCallback(null, link));
    expect(scanned).toMatchObject({ kind: 'confirm', via: 'callback' });
    expect(provider.finishes).toHaveLength(0);
    expect(await kept(s, link)).toBe(link.code);
    // The person's own click: the provider has burned the link and answers with an error.
    const outcome = await s.flow.land(accessDenied(link.nonce, link.state));
    expect(outcome).toEqual({
      kind: 'verified',
      profile: profileOf(ALICE),
      tokens: null,
      returnTo: '/account',
      method: 'link',
      bound: true,
    });
    expect(provider.finishes).toEqual([link.code]);
    expect(await kept(s, link)).toBeNull();
    expect(await s.store.get(pendingKey(link.state))).toBeNull();
  });

  it('no other browser can claim the kept code', async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    await s.flow.land(landCallback(null, link));
    for (const nonce of [null, newNonce()]) {
      await rejection(s.flow.land(accessDenied(nonce, link.state)), 'ERR_LINK_EXPIRED');
    }
    expect(provider.finishes).toHaveLength(0);
    expect(await kept(s, link)).toBe(link.code);
    // And the browser that asked still can.
    const outcome = await s.flow.land(accessDenied(link.nonce, link.state));
    expect(outcome.kind).toBe('verified');
  });

  it('an error land with no kept code is ERR_LINK_EXPIRED, and asks the provider nothing', async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    const err = await rejection(
      s.flow.land(accessDenied(link.nonce, link.state)),
      'ERR_LINK_EXPIRED',
    );
    expect(err.context.resendState).toBe(link.state);
    expect(provider.finishes).toHaveLength(0);
  });

  it('the asking browser landing with the code itself finishes directly and keeps nothing', async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
    expect(await kept(s, link)).toBeNull();
  });

  // The first code delivered is kept (set-if-absent): a later land with a made-up code from
  // anyone holding the state cannot replace the scanner's genuine one.
  it('a later unbound land with another code does not replace the kept code', async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    await s.flow.land(landCallback(null, link));
    await s.flow.land(landCallback(null, { code: 'made_up_code', state: link.state }));
    expect(await kept(s, link)).toBe(link.code);
  });

  it('nothing is kept when our own email carries the link', async () => {
    const provider = stubProvider({ sendsOwnEmail: true });
    const s = setup(provider);
    const link = await ask(s);
    await s.flow.land(landCallback(null, link));
    expect(await kept(s, link)).toBeNull();
  });

  // The rescued code is put back after a transient failure, so the asking browser's retry
  // still finds it (the same give-back rule as the pending record).
  it('a transient failure while finishing with a rescued code leaves the retry working', async () => {
    const { provider, s } = rescueSetup();
    const link = await askProvider(s, provider);
    await s.flow.land(landCallback(null, link));
    const click = accessDenied(link.nonce, link.state);
    provider.failFinish.push(new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'stub: 503'));
    await rejection(s.flow.land(click), 'ERR_PROVIDER_UNAVAILABLE');
    expect(await kept(s, link)).toBe(link.code);
    expect((await s.flow.land(click)).kind).toBe('verified');
    expect(provider.finishes).toEqual([link.code, link.code]);
  });
});

describe("crossDevice: 'deny'", () => {
  it('refuses land and confirm from a browser without the nonce, and spends nothing', async () => {
    const provider = stubProvider();
    const s = setup(provider, { crossDevice: 'deny' });
    const link = await ask(s);
    for (const nonce of [null, newNonce()]) {
      const landed = await rejection(
        s.flow.land(landCallback(nonce, link)),
        'ERR_CROSS_DEVICE_DENIED',
      );
      // Only the browser that asked may have a new link (hardening round 2, G01).
      expect(landed.context.resendState).toBeUndefined();
      await rejection(
        s.flow.confirm({ via: 'callback', nonce, ip: IP, code: link.code, state: link.state }),
        'ERR_CROSS_DEVICE_DENIED',
      );
    }
    expect(provider.finishes).toHaveLength(0);
    expect(provider.unspent.has(link.code)).toBe(true);
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });

  it('refuses a wrapped link from another browser, without following it', async () => {
    const provider = stubProvider({ follows: true });
    const s = setup(provider, { crossDevice: 'deny' });
    const { link } = await ask(s);
    const t = new URL(link).searchParams.get('t')!;
    await rejection(
      s.flow.land({ via: 'wrapped', t, nonce: null, ip: IP, head: false }),
      'ERR_CROSS_DEVICE_DENIED',
    );
    await rejection(
      s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP }),
      'ERR_CROSS_DEVICE_DENIED',
    );
    expect(provider.follows).toHaveLength(0);
    expect(provider.finishes).toHaveLength(0);
  });
});

describe('wrapped confirm needs a pending sign-in', () => {
  it('a sealed link whose record is gone makes no follow call', async () => {
    const provider = stubProvider({ follows: true });
    const s = setup(provider);
    const { link, nonce } = await ask(s);
    const t = new URL(link).searchParams.get('t')!;
    await s.store.delete(pendingKey(provider.starts[0]!.state));
    for (const browser of [null, nonce]) {
      await rejection(
        s.flow.confirm({ via: 'wrapped', t, nonce: browser, ip: IP }),
        'ERR_LINK_EXPIRED',
      );
    }
    expect(provider.follows).toHaveLength(0);
    expect(provider.finishes).toHaveLength(0);
  });

  it('a second confirm after a sign-in makes no second follow call', async () => {
    const provider = stubProvider({ follows: true });
    const s = setup(provider);
    const { link } = await ask(s);
    const t = new URL(link).searchParams.get('t')!;
    expect((await s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP })).kind).toBe(
      'verified',
    );
    await rejection(s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP }), 'ERR_LINK_EXPIRED');
    expect(provider.follows).toHaveLength(1);
  });
});

describe("crossDevice: 'confirm'", () => {
  it('another browser gets a confirm outcome and spends nothing; its confirm then verifies', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    const outcome = await s.flow.land(landCallback(null, link));
    expect(outcome).toEqual({
      kind: 'confirm',
      via: 'callback',
      email: ALICE,
      maskedEmail: 'a•••@example.com',
      fields: { code: link.code, state: link.state },
    });
    expect(provider.finishes).toHaveLength(0);
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    const confirmed = await s.flow.confirm({
      via: 'callback',
      ip: IP,
      code: link.code,
      state: link.state,
      nonce: null,
    });
    expect(confirmed).toEqual({
      kind: 'verified',
      profile: profileOf(ALICE),
      tokens: null,
      returnTo: '/account',
      method: 'confirmed',
      bound: false,
    });
    expect(await s.store.get(pendingKey(link.state))).toBeNull();
  });

  it('a confirm from the asking browser reports method link and bound', async () => {
    const s = setup(stubProvider());
    const link = await ask(s);
    const confirmed = await s.flow.confirm({ via: 'callback', ip: IP, ...link });
    expect(confirmed).toMatchObject({ kind: 'verified', method: 'link', bound: true });
  });

  it('a second confirm of the same link is ERR_LINK_EXPIRED', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const link = await ask(s);
    await s.flow.confirm({
      via: 'callback',
      ip: IP,
      code: link.code,
      state: link.state,
      nonce: null,
    });
    await rejection(
      s.flow.confirm({ via: 'callback', ip: IP, code: link.code, state: link.state, nonce: null }),
      'ERR_LINK_EXPIRED',
    );
    expect(provider.finishes).toHaveLength(1);
  });
});

describe('wrapped third-party links', () => {
  async function askWrapped() {
    const provider = stubProvider({ follows: true });
    const s = setup(provider);
    const asked = await ask(s);
    const t = new URL(asked.link).searchParams.get('t')!;
    return { provider, s, nonce: asked.nonce, t, link: asked.link };
  }

  it('our email carries the open route, never the provider link', async () => {
    const { link } = await askWrapped();
    expect(link.startsWith(`${OPEN_URL}?t=`)).toBe(true);
    expect(link).not.toContain('provider.example');
  });

  it('the asking browser gets a redirect to the provider link; nothing is followed or spent', async () => {
    const { provider, s, nonce, t } = await askWrapped();
    const outcome = await s.flow.land({ via: 'wrapped', t, nonce, ip: IP, head: false });
    expect(outcome).toEqual({
      kind: 'redirect',
      location: expect.stringMatching(/^https:\/\/provider\.example\/link\//),
    });
    expect(provider.follows).toHaveLength(0);
    expect(provider.finishes).toHaveLength(0);
  });

  it('HEAD from the asking browser is a confirm outcome, not a redirect', async () => {
    const { provider, s, nonce, t } = await askWrapped();
    const outcome = await s.flow.land({ via: 'wrapped', t, nonce, ip: IP, head: true });
    expect(outcome).toMatchObject({ kind: 'confirm', via: 'wrapped', fields: { t } });
    expect(provider.follows).toHaveLength(0);
  });

  it('another browser confirms: the server follows once and verifies', async () => {
    const { provider, s, t } = await askWrapped();
    const landed = await s.flow.land({ via: 'wrapped', t, nonce: null, ip: IP, head: false });
    expect(landed).toEqual({
      kind: 'confirm',
      via: 'wrapped',
      email: ALICE,
      maskedEmail: 'a•••@example.com',
      fields: { t },
    });
    const outcome = await s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP });
    expect(outcome).toMatchObject({ kind: 'verified', method: 'confirmed', bound: false });
    expect(provider.follows).toHaveLength(1);
    expect(provider.finishes).toHaveLength(1);
    await rejection(s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP }), 'ERR_LINK_EXPIRED');
  });

  it('a tampered t is ERR_LINK_INVALID and follows nothing', async () => {
    const { provider, s, nonce, t } = await askWrapped();
    const tampered = `${t.slice(0, -2)}${t.endsWith('AA') ? 'BB' : 'AA'}`;
    await rejection(
      s.flow.land({ via: 'wrapped', t: tampered, nonce, ip: IP, head: false }),
      'ERR_LINK_INVALID',
    );
    await rejection(
      s.flow.confirm({ via: 'wrapped', t: tampered, nonce, ip: IP }),
      'ERR_LINK_INVALID',
    );
    expect(provider.follows).toHaveLength(0);
  });

  it('without follow, the wrapped route is ERR_NOT_FOUND', async () => {
    const s = setup(stubProvider());
    await rejection(
      s.flow.land({ via: 'wrapped', t: 'x', nonce: null, ip: IP, head: false }),
      'ERR_NOT_FOUND',
    );
  });

  // The provider's link is spent by the first follow; the code it gave is held, so a retry
  // after a transient failure of the exchange finishes with it instead of following again.
  it('a transient failure after following a wrapped link leaves the confirm retry working', async () => {
    const { provider, s, t } = await askWrapped();
    provider.failFinish.push(new MagicLinkError('ERR_PROVIDER_UNAVAILABLE', 'stub: 503'));
    await rejection(
      s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP }),
      'ERR_PROVIDER_UNAVAILABLE',
    );
    const retry = await s.flow.confirm({ via: 'wrapped', t, nonce: null, ip: IP });
    expect(retry.kind).toBe('verified');
    // The code held from the first follow was reused: the spent link was not followed again.
    expect(provider.follows).toHaveLength(1);
    expect(provider.finishes).toHaveLength(2);
    expect(provider.finishes[1]).toBe(provider.finishes[0]);
  });
});

describe('resend grace period', () => {
  const T0 = Date.UTC(2026, 0, 1, 12);

  it('is one day', () => {
    expect(RESEND_GRACE_MS).toBe(DAY_MS);
  });

  it('a state expired less than a day ago still resends, to the same address and returnTo', async () => {
    jest.useFakeTimers({ now: T0 });
    const provider = stubProvider();
    const s = setup(provider);
    const first = await ask(s);
    jest.setSystemTime(T0 + TTL_MS + DAY_MS - 60_000);
    // The link itself is long dead, and its failure offers the resend.
    const err = await rejection(s.flow.land(landCallback(first.nonce, first)), 'ERR_STATE_EXPIRED');
    expect(err.context.resendState).toBe(first.state);
    const outcome = await s.flow.resend({ state: first.state, nonce: first.nonce, ip: IP });
    expect(outcome).toEqual({ kind: 'sent', nonce: first.nonce });
    await s.flow.drain();
    expect(provider.starts).toHaveLength(2);
    expect(s.mail).toHaveLength(2);
    const fresh = partsOf(s.mail[1]!.link);
    expect(states.open(fresh.state)).toMatchObject({ e: ALICE, r: '/account' });
    expect((await s.flow.land(landCallback(first.nonce, fresh))).kind).toBe('verified');
  });

  it('a state expired more than a day ago does not', async () => {
    jest.useFakeTimers({ now: T0 });
    const provider = stubProvider();
    const s = setup(provider);
    const first = await ask(s);
    jest.setSystemTime(T0 + TTL_MS + DAY_MS + 60_000);
    const err = await rejection(s.flow.land(landCallback(first.nonce, first)), 'ERR_STATE_EXPIRED');
    expect(err.context.resendState).toBeUndefined();
    await rejection(
      s.flow.resend({ state: first.state, nonce: first.nonce, ip: IP }),
      'ERR_STATE_INVALID',
    );
    expect(provider.starts).toHaveLength(1);
    expect(s.flow.resendSubject(first.state, first.nonce)).toEqual({
      throttleKey: null,
      payload: null,
      email: null,
      bound: false,
    });
  });

  // Hardening round 2, G01: a new link bound to another browser is login CSRF.
  it('resend from another browser is refused, and nothing is sent', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    const first = await ask(s);
    for (const nonce of [null, newNonce()]) {
      await rejection(s.flow.resend({ state: first.state, nonce, ip: IP }), 'ERR_RESEND_ELSEWHERE');
      expect(s.flow.resendSubject(first.state, nonce)).toMatchObject({
        throttleKey: null,
        bound: false,
      });
    }
    await s.flow.drain();
    expect(provider.starts).toHaveLength(1);
  });

  it('a failed land offers the resend only to the browser that holds the binding', async () => {
    const s = setup(stubProvider());
    const first = await ask(s);
    expect((await s.flow.land(landCallback(first.nonce, first))).kind).toBe('verified');
    const own = await rejection(s.flow.land(landCallback(first.nonce, first)), 'ERR_LINK_EXPIRED');
    expect(own.context.resendState).toBe(first.state);
    for (const nonce of [null, newNonce()]) {
      const other = await rejection(s.flow.land(landCallback(nonce, first)), 'ERR_LINK_EXPIRED');
      expect(other.context.resendState).toBeUndefined();
    }
  });

  it('a forged state does not resend', async () => {
    const provider = stubProvider();
    const s = setup(provider);
    await rejection(s.flow.resend({ state: 'forged', nonce: null, ip: IP }), 'ERR_STATE_INVALID');
    expect(provider.starts).toHaveLength(0);
  });

  it('an expired wrapped link offers a fresh resend state for its address', async () => {
    jest.useFakeTimers({ now: T0 });
    const provider = stubProvider({ follows: true });
    const s = setup(provider);
    const { nonce, link } = await ask(s);
    const t = new URL(link).searchParams.get('t')!;
    jest.setSystemTime(T0 + TTL_MS + DAY_MS / 2);
    const err = await rejection(
      s.flow.land({ via: 'wrapped', t, nonce, ip: IP, head: false }),
      'ERR_LINK_EXPIRED',
    );
    expect(err.context.resendState).toEqual(expect.any(String));
    expect(states.resendable(err.context.resendState)).toMatchObject({ e: ALICE });
    expect(sentNonce(await s.flow.resend({ state: err.context.resendState, nonce, ip: IP }))).toBe(
      nonce,
    );
    await s.flow.drain();
    expect(provider.starts).toHaveLength(2);
  });
});

describe('attempt limits (real selfHostedProvider)', () => {
  function wrong(code: string): string {
    return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  }

  it('the right code verifies once, from the browser that asked', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    expect(code).toMatch(/^[0-9]{6}$/);
    await rejection(s.flow.verifyCode({ code, nonce: newNonce(), ip: IP }), 'ERR_CODE_INVALID');
    await rejection(s.flow.verifyCode({ code, nonce: null, ip: IP }), 'ERR_CODE_INVALID');
    const outcome = await s.flow.verifyCode({ code, nonce: link.nonce, ip: IP });
    expect(outcome).toMatchObject({
      kind: 'verified',
      profile: { email: ALICE },
      returnTo: '/account',
      method: 'code',
      bound: true,
    });
    expect(await s.store.get(pendingKey(link.state))).toBeNull();
    // The code spent the link too.
    await rejection(s.flow.land(landCallback(link.nonce, link)), 'ERR_LINK_EXPIRED');
    await rejection(s.flow.verifyCode({ code, nonce: link.nonce, ip: IP }), 'ERR_CODE_INVALID');
  });

  it('a code typed with spaces or a dash still counts', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    const typed = `${code.slice(0, 3)} - ${code.slice(3)}`;
    expect((await s.flow.verifyCode({ code: typed, nonce: link.nonce, ip: IP })).kind).toBe(
      'verified',
    );
  });

  it("5 wrong codes lock this link's code; the right code after that is refused; the link still works", async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    for (let i = 0; i < 5; i++) {
      await rejection(
        s.flow.verifyCode({ code: wrong(code), nonce: link.nonce, ip: IP }),
        'ERR_CODE_INVALID',
      );
    }
    const locked = await rejection(
      s.flow.verifyCode({ code, nonce: link.nonce, ip: IP }),
      'ERR_CODE_LOCKED',
    );
    expect(locked.retryAfter).toBeGreaterThan(0);
    // What the person is told points them at the link, which still works.
    expect(ERRORS.ERR_CODE_LOCKED.message).toBe(
      'Too many wrong codes. Use the link in the email, or ask for a new one.',
    );
    expect(await s.store.get(pendingKey(link.state))).toBe('1');
    // The link itself still works.
    expect((await s.flow.land(landCallback(link.nonce, link))).kind).toBe('verified');
  });

  it('the count is per browser: a new link in the same browser shares it (T7), and that link still signs in', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    for (let i = 0; i < 5; i++) {
      await rejection(
        s.flow.verifyCode({ code: wrong(code), nonce: link.nonce, ip: IP }),
        'ERR_CODE_INVALID',
      );
    }
    await rejection(s.flow.verifyCode({ code, nonce: link.nonce, ip: IP }), 'ERR_CODE_LOCKED');
    await s.flow.request({ email: ALICE, returnTo: '/', nonce: link.nonce, ip: IP });
    await s.flow.drain();
    const fresh = s.mail[1]!;
    await rejection(
      s.flow.verifyCode({ code: fresh.code!, nonce: link.nonce, ip: IP }),
      'ERR_CODE_LOCKED',
    );
    expect((await s.flow.land(landCallback(link.nonce, partsOf(fresh.link)))).kind).toBe(
      'verified',
    );
  });

  it('100 code checks per address across links lock the address; a sign-in by link resets the count', async () => {
    const s = setup(selfHostedProvider());
    let link = await ask(s);
    for (let n = 0; n < 20; n++) {
      // A new link in a new browser, 5 wrong codes on each: 100 checks in all.
      if (n > 0) link = await ask(s);
      const code = s.mail[s.mail.length - 1]!.code!;
      for (let i = 0; i < 5; i++) {
        await rejection(
          s.flow.verifyCode({ code: wrong(code), nonce: link.nonce, ip: IP }),
          'ERR_CODE_INVALID',
        );
      }
    }
    // A fresh link in a fresh browser: their own counts are 0, but the address's is spent,
    // even for the right code.
    link = await ask(s);
    const last = s.mail[s.mail.length - 1]!;
    const locked = await rejection(
      s.flow.verifyCode({ code: last.code!, nonce: link.nonce, ip: IP }),
      'ERR_CODE_LOCKED',
    );
    expect(locked.retryAfter).toBeGreaterThan(0);
    // A different address is not affected.
    const bob = await ask(s, 'bob@example.com');
    expect(
      (
        await s.flow.verifyCode({
          code: s.mail[s.mail.length - 1]!.code!,
          nonce: bob.nonce,
          ip: IP,
        })
      ).kind,
    ).toBe('verified');
    // Signing in with the link resets the address's count.
    expect((await s.flow.land(landCallback(link.nonce, partsOf(last.link)))).kind).toBe('verified');
    link = await ask(s);
    expect(
      (
        await s.flow.verifyCode({
          code: s.mail[s.mail.length - 1]!.code!,
          nonce: link.nonce,
          ip: IP,
        })
      ).kind,
    ).toBe('verified');
  });

  it('a browser with no pending code writes only its attempt counter, and locks after 5 like one with a code (T7)', async () => {
    const s = setup(selfHostedProvider());
    await ask(s);
    const before = s.store.size;
    const nonce = newNonce();
    for (let i = 0; i < 5; i++) {
      await rejection(s.flow.verifyCode({ code: '123456', nonce, ip: IP }), 'ERR_CODE_INVALID');
    }
    await rejection(s.flow.verifyCode({ code: '123456', nonce, ip: IP }), 'ERR_CODE_LOCKED');
    expect(s.store.size).toBe(before + 1);
  });

  it('4 wrong codes then the right one still verifies', async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    for (let i = 0; i < 4; i++) {
      await rejection(
        s.flow.verifyCode({ code: wrong(code), nonce: link.nonce, ip: IP }),
        'ERR_CODE_INVALID',
      );
    }
    expect((await s.flow.verifyCode({ code, nonce: link.nonce, ip: IP })).kind).toBe('verified');
  });

  it('a malformed code is refused without using an attempt', async () => {
    const s = setup(selfHostedProvider({ maxCodeAttempts: 1 }));
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    for (const typed of ['12345', '1234567', 'abcdef', '', 123456]) {
      await rejection(
        s.flow.verifyCode({ code: typed, nonce: link.nonce, ip: IP }),
        'ERR_CODE_INVALID',
      );
    }
    expect((await s.flow.verifyCode({ code, nonce: link.nonce, ip: IP })).kind).toBe('verified');
  });

  it("another browser's wrong codes do not use up the asking browser's attempts", async () => {
    const s = setup(selfHostedProvider());
    const link = await ask(s);
    const code = s.mail[0]!.code!;
    const stranger = newNonce();
    for (let i = 0; i < 6; i++) {
      await expect(
        s.flow.verifyCode({ code: wrong(code), nonce: stranger, ip: IP }),
      ).rejects.toBeInstanceOf(MagicLinkError);
    }
    expect((await s.flow.verifyCode({ code, nonce: link.nonce, ip: IP })).kind).toBe('verified');
  });

  // verifyCode gets the same providerTimeoutMs as start, finish and follow, so a provider (or
  // its store) that never answers ends in ERR_PROVIDER_UNAVAILABLE, not a hanging request.
  it('a verifyCode that never answers times out with ERR_PROVIDER_UNAVAILABLE', async () => {
    jest.useFakeTimers();
    const provider: Provider = {
      ...stubProvider(),
      verifyCode: () => new Promise<never>(() => undefined),
    };
    const s = setup(provider, { providerTimeoutMs: 5_000 });
    const { nonce } = await ask(s);
    let error: unknown = null;
    const verifying = s.flow.verifyCode({ code: '123456', nonce, ip: IP }).catch((e: unknown) => {
      error = e;
    });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(error).toBeInstanceOf(MagicLinkError);
    expect((error as MagicLinkError).code).toBe('ERR_PROVIDER_UNAVAILABLE');
    await verifying;
  });

  it('a provider without verifyCode refuses every code', async () => {
    const s = setup(stubProvider());
    const link = await ask(s);
    await rejection(
      s.flow.verifyCode({ code: '123456', nonce: link.nonce, ip: IP }),
      'ERR_CODE_INVALID',
    );
  });
});

describe('rate-limit subjects', () => {
  it('requestSubject is the parsed address and its throttle key, else null', () => {
    const s = setup(stubProvider());
    expect(s.flow.requestSubject('A.lice+tag@Gmail.com')).toEqual({
      throttleKey: 'alice@gmail.com',
      email: parseEmail('A.lice+tag@Gmail.com'),
    });
    expect(s.flow.requestSubject('nope')).toEqual({ throttleKey: null, email: parseEmail('nope') });
  });

  it("resendSubject reads the state's payload and address", async () => {
    const s = setup(stubProvider());
    const { state, nonce } = await ask(s, 'Bob+x@example.com');
    const subject = s.flow.resendSubject(state, nonce);
    expect(subject.bound).toBe(true);
    expect(subject.throttleKey).toBe('bob@example.com');
    expect(subject.payload).toMatchObject({ e: 'Bob+x@example.com' });
    expect(subject.email).toEqual(parseEmail('Bob+x@example.com'));
    expect(s.flow.resendSubject('forged', nonce)).toEqual({
      throttleKey: null,
      payload: null,
      email: null,
      bound: false,
    });
  });

  it('request and resend use the subject they are given instead of reading it again', async () => {
    const s = setup(stubProvider());
    const { state, nonce } = await ask(s, 'bob@example.com');
    const subject = s.flow.requestSubject('carol@example.com');
    await s.flow.request({ email: 'ignored', returnTo: '/', nonce: null, ip: IP }, subject);
    await s.flow.resend({ state: 'ignored', nonce, ip: IP }, s.flow.resendSubject(state, nonce));
    await s.flow.drain();
    expect(s.mail.map((m) => m.to)).toEqual([
      'bob@example.com',
      'carol@example.com',
      'bob@example.com',
    ]);
  });
});
