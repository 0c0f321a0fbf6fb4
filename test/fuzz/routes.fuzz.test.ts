import { Agent } from 'node:http';
import fc from 'fast-check';
import { createTestApp, follow } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { linksIn } from '../helpers/smtp';
import { get, requestArbitraries, send } from './arbitraries';
import type { Pool, RawRequest } from './arbitraries';

/**
 * Hostile input at volume: every /auth route, fed random methods, paths, query strings, cookies,
 * headers and bodies over real HTTP. Whatever arrives, the answer is a clear 4xx or an ordinary
 * page, never a 5xx or a stack trace; the process keeps serving; and nobody is signed in.
 */

/** Generated requests per app: a broad property, and one that leans on oversized input. */
const BROAD_RUNS = 4_600;
const HUGE_RUNS = 500;
/** Genuine states kept for generated requests to carry; new sign-ins top the pool up. */
const MAX_POOL = 40;
/**
 * A bound for a stuck run, not a speed target: a single hung request already fails after 30 s,
 * and on a shared 2-core machine under a load of 20 the whole file has taken nine minutes.
 */
const PROPERTY_TIMEOUT_MS = 10 * 60_000;

/** A stack frame, as Node prints it or as Express's development error page escapes it. */
const STACK_TRACE = /(?:^|\n|<br>)\s*(?:&nbsp;\s*)*at [^\n<]*:\d+:\d+|node:internal|node_modules\//;

const APPS: { name: string; options: TestAppOptions }[] = [
  { name: 'WorkOS, rate limits on', options: { provider: 'workos' } },
  {
    name: 'self-hosted, rate limits off to reach deeper',
    options: { provider: 'self-hosted', rateLimit: false },
  },
];

let tried = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  console.log(`routes.fuzz: ${tried} generated requests tried`);
});

describe.each(APPS)('every /auth route under hostile input ($name)', ({ options }) => {
  let t: TestApp;
  let agent: Agent;
  let port: number;
  const pool: Pool = { states: [], nonces: [] };
  /** Every cookie any answer set, by name: replayed against /account at the end. */
  const jar = new Map<string, string>();
  let eventsSeen = 0;
  let outboxSeen = 0;
  let mailSeen = 0;

  /** Adds the states of sign-ins the generated requests started (never their tokens or codes). */
  async function harvest(): Promise<void> {
    if (pool.states.length >= MAX_POOL) return;
    const links: string[] = [];
    if (t.emulator) {
      for (const email of (await t.outbox()).slice(outboxSeen))
        links.push(await follow(email.link));
      outboxSeen = (await t.outbox()).length;
    } else {
      for (const mail of t.smtp!.messages.slice(mailSeen)) links.push(...linksIn(mail).slice(0, 1));
      mailSeen = t.smtp!.messages.length;
    }
    for (const link of links) {
      const state = new URL(link).searchParams.get('state');
      if (state !== null && pool.states.length < MAX_POOL) pool.states.push(state);
    }
  }

  beforeAll(async () => {
    t = await createTestApp(options);
    port = Number(new URL(t.url).port);
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // Real, still pending sign-ins, so that generated requests can carry a genuine state and a
    // genuine pending cookie.
    for (let i = 0; i < 3; i++) {
      const res = await send(port, agent, {
        method: 'POST',
        path: '/auth/magic-link',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ email: `pool${i}@example.com` })),
        chunked: false,
      });
      expect(res.status).toBe(202);
      pool.nonces.push(/^mlink=([^;]+)/.exec(res.headers['set-cookie']?.[0] ?? '')![1]!);
      if (t.smtp) await t.smtp.waitForMessage((m) => m.text?.includes(`pool${i}@`) ?? false);
    }
    await harvest();
    expect(pool.states).toHaveLength(3);
    eventsSeen = t.events.length;
  });

  afterAll(async () => {
    agent.destroy();
    await t.close();
  });

  async function check(r: RawRequest): Promise<void> {
    tried += 1;
    const res = await send(port, agent, r);
    const where = `${r.method} ${r.path.slice(0, 200)} → ${res.status}: ${res.body.slice(0, 300)}`;
    if (res.status >= 500) throw new Error(`a 5xx answer: ${where}`);
    if (STACK_TRACE.test(res.body)) throw new Error(`a stack trace in the body: ${where}`);
    for (let i = eventsSeen; i < t.events.length; i++) {
      if (t.events[i]!.type === 'sign_in') throw new Error(`signed someone in: ${where}`);
    }
    eventsSeen = t.events.length;
    const cookies = (res.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]!);
    for (const pair of cookies) {
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    if (cookies.some((c) => c.startsWith('sid='))) {
      const account = await get(port, agent, '/account', {
        accept: 'application/json',
        cookie: cookies.join('; '),
      });
      if (account.status !== 401) throw new Error(`a session came out of: ${where}`);
    }
    await harvest();
  }

  it(
    `answers ${BROAD_RUNS} generated requests without a 5xx, a stack trace or a session`,
    async () => {
      const { broad } = requestArbitraries(t.url, pool);
      await fc.assert(fc.asyncProperty(broad, check), { numRuns: BROAD_RUNS });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    `answers ${HUGE_RUNS} oversized requests (past the body limit, huge cookies) the same way`,
    async () => {
      const { huge } = requestArbitraries(t.url, pool);
      await fc.assert(fc.asyncProperty(huge, check), { numRuns: HUGE_RUNS });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('still serves afterwards, and no cookie it handed out is a session', async () => {
    const home = await get(port, agent, '/');
    expect(home.status).toBe(200);
    expect(home.body).toBe('home');
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    for (const accept of ['application/json', 'text/html']) {
      const account = await get(port, agent, '/account', { accept, cookie });
      expect([401, 303]).toContain(account.status);
    }
    expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});
