// Threat model A5 / A11, findings G07 and G02 of issue 18: one failure budget per address for
// every kind of code (our email's code, the relay code, a WorkOS Magic Auth code), checked
// before any code is compared (before WorkOS is called), counted since the last sign-in, at most
// 100. Default rate limits, a fake clock, fresh browsers and IPs: the attacker's best case.
import request from 'supertest';
import { redisStore } from '../../lib/index';
import type Redis from 'ioredis';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { fakeDateOnly } from '../helpers/fake-date';
import { connectIoredis, describeWithRedis } from '../helpers/redis';
import { askForLink, nextEmail } from '../helpers/sign-in';

type Agent = request.Agent;

const VICTIM = 'victim@example.com';
/** NIST SP 800-63B §3.2.2's ceiling on failed attempts; the flow's MAX_CODE_FAILURES_PER_ADDRESS. */
const MAX_CODE_FAILURES_PER_ADDRESS = 100;
const HOUR = 60 * 60 * 1000;
const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const AUTHENTICATE = '/user_management/authenticate';
/** What the per-address email limit lets through in an hour, by default. */
const SENDS_PER_HOUR = 10;
/** Wrong codes each fresh browser may type against one sign-in. */
const PER_BROWSER = 5;
const HOURS = 3;

let ipSeq = 0;
/** A fresh client IP each time: from 198.18.0.0/15 (benchmarking), never the same twice. */
function freshIp(): string {
  ipSeq += 1;
  return `198.18.${Math.floor(ipSeq / 250) % 256}.${(ipSeq % 250) + 1}`;
}

/** A fresh browser: its own cookie jar and its own IP, through the trusted proxy. */
function browser(t: TestApp): Agent {
  return request.agent(t.url).set('X-Forwarded-For', freshIp());
}

const wrong = (code: string, n: number) => String((Number(code) + n) % 1_000_000).padStart(6, '0');

function typeCode(agent: Agent, code: string) {
  return agent.post('/auth/magic-link/verify').type('form').send({ code });
}

async function signedInAs(agent: Agent): Promise<string | null> {
  const res = await agent.get('/account').set('Accept', 'application/json');
  return res.status === 200 ? (res.body.email as string) : null;
}

function relayCodeOf(page: string): string {
  const code = /<p class="code" id="relay-code">([0-9]{6})<\/p>/.exec(page)?.[1];
  if (!code) throw new Error(`No relay code on the page: ${page.slice(0, 300)}`);
  return code;
}

/** Tallies the answers to typed codes by status: 400 code_invalid, 429 code_locked, 303 in. */
function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/**
 * The attacker asks for a link to the victim's address from a fresh browser; the victim's mail
 * scanner opens it (Safe Links does this to every link), so the relay holds it for the
 * attacker's browser and shows the scanner the relay code. Returns the attacker and that code.
 */
async function relayedSignIn(t: TestApp): Promise<{ attacker: Agent; code: string }> {
  const attacker = browser(t);
  await askForLink(attacker, VICTIM);
  const { link } = await nextEmail(t, VICTIM);
  const scanned = await browser(t).get(pathOf(link));
  expect(scanned.status).toBe(200);
  return { attacker, code: relayCodeOf(scanned.text) };
}

/**
 * `comparisons`: codes one typed guess is checked against. Self-hosted, the attacker's browser
 * also has the email code of the link it asked for, so a guess is tried as the relay code and
 * as that code: two chances, charged as two.
 */
const RELAY_SETUPS: { name: string; app: TestAppOptions; comparisons: number }[] = [
  { name: 'self-hosted', app: { provider: 'self-hosted' }, comparisons: 2 },
  {
    name: 'WorkOS Magic Link (our email, wrapped links)',
    app: { provider: 'workos', delivery: 'smtp' },
    comparisons: 1,
  },
];

describe.each(RELAY_SETUPS)(
  'G07: relay-code guesses against one address ($name)',
  ({ app, comparisons }) => {
    let t: TestApp;
    beforeEach(async () => {
      fakeDateOnly(START);
      t = await createTestApp({ ...app, trustProxy: true });
    });
    afterEach(async () => {
      await t.close();
      jest.useRealTimers();
    });

    it(`3 hours of 10 sends an hour, 5 guesses each: at most ${MAX_CODE_FAILURES_PER_ADDRESS} failed checks; then even the right code fails until a link signs in`, async () => {
      const statuses: number[] = [];
      for (let hour = 0; hour < HOURS; hour += 1) {
        jest.setSystemTime(START + hour * HOUR + 1_000);
        for (let send = 0; send < SENDS_PER_HOUR; send += 1) {
          const { attacker, code } = await relayedSignIn(t);
          for (let n = 1; n <= PER_BROWSER; n += 1)
            statuses.push((await typeCode(attacker, wrong(code, n))).status);
        }
      }
      const counts = tally(statuses);
      expect(statuses).toHaveLength(HOURS * SENDS_PER_HOUR * PER_BROWSER);
      // Each 400 is a failed guess that cost `comparisons` checks: 100 checks in all.
      expect(counts[400]! * comparisons).toBe(MAX_CODE_FAILURES_PER_ADDRESS);
      expect(counts[429]).toBe(statuses.length - counts[400]!);
      expect(counts[303]).toBeUndefined();

      // The next hour: a fresh relayed sign-in, and its right code, does not sign in.
      jest.setSystemTime(START + HOURS * HOUR + 1_000);
      const last = await relayedSignIn(t);
      const locked = await typeCode(last.attacker, last.code);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(HOUR / 1000);
      expect(await signedInAs(last.attacker)).toBeNull();

      // The owner signs in with a link in their own browser; that resets the address's count.
      const owner = browser(t);
      await askForLink(owner, VICTIM);
      const own = await nextEmail(t, VICTIM);
      let res = await owner.get(pathOf(own.link));
      while (res.status === 303 && !String(res.headers.location).startsWith('/')) {
        res = await owner.get(pathOf(await follow(String(res.headers.location))));
      }
      expect(res.status).toBe(303);
      expect(await signedInAs(owner)).toBe(VICTIM);

      const after = await relayedSignIn(t);
      expect((await typeCode(after.attacker, after.code)).status).toBe(303);
      expect(await signedInAs(after.attacker)).toBe(VICTIM);
    });
  },
);

const MAGIC_AUTH_SETUPS: { name: string; delivery: 'smtp' | 'workos' }[] = [
  { name: 'our email', delivery: 'smtp' },
  { name: "WorkOS's email (delivery: 'provider')", delivery: 'workos' },
];

describe.each(MAGIC_AUTH_SETUPS)(
  'G02: Magic Auth code guesses against one address ($name)',
  ({ delivery }) => {
    let t: TestApp;
    beforeEach(async () => {
      fakeDateOnly(START);
      t = await createTestApp({ provider: 'workos-magic-auth', delivery, trustProxy: true });
    });
    afterEach(async () => {
      await t.close();
      jest.useRealTimers();
    });

    const authCalls = () => t.emulator!.requests.filter((r) => r.path === AUTHENTICATE).length;

    /** The newest Magic Auth code for the victim: from our email, or from WorkOS's outbox. */
    async function codeFor(): Promise<string> {
      if (delivery === 'smtp') return (await nextEmail(t, VICTIM)).code!;
      await t.settled();
      const sent = t.emulator!.magicAuthOutbox.filter((m) => m.to === VICTIM).at(-1);
      return sent!.code;
    }

    it(`3 hours of 10 sends an hour, 5 guesses each: at most ${MAX_CODE_FAILURES_PER_ADDRESS} checks, none past the lock reaching WorkOS; the right code then fails`, async () => {
      const statuses: number[] = [];
      for (let hour = 0; hour < HOURS; hour += 1) {
        jest.setSystemTime(START + hour * HOUR + 1_000);
        for (let send = 0; send < SENDS_PER_HOUR; send += 1) {
          const attacker = browser(t);
          await askForLink(attacker, VICTIM);
          const code = await codeFor();
          for (let n = 1; n <= PER_BROWSER; n += 1)
            statuses.push((await typeCode(attacker, wrong(code, n))).status);
        }
      }
      const counts = tally(statuses);
      expect(counts[400]).toBe(MAX_CODE_FAILURES_PER_ADDRESS);
      expect(counts[429]).toBe(statuses.length - MAX_CODE_FAILURES_PER_ADDRESS);
      expect(authCalls()).toBeLessThanOrEqual(MAX_CODE_FAILURES_PER_ADDRESS);

      jest.setSystemTime(START + HOURS * HOUR + 1_000);
      const attacker = browser(t);
      await askForLink(attacker, VICTIM);
      const code = await codeFor();
      const calls = authCalls();
      expect((await typeCode(attacker, code)).status).toBe(429);
      expect(authCalls()).toBe(calls);
      expect(await signedInAs(attacker)).toBeNull();
    });
  },
);

describeWithRedis('A11 on Redis: racing relay-code guesses', (redis) => {
  let client: Redis;
  let t: TestApp;
  beforeAll(async () => {
    client = await connectIoredis(redis().url);
  });
  afterAll(() => client.disconnect());
  beforeEach(async () => {
    await client.flushall();
    t = await createTestApp({
      provider: 'workos',
      delivery: 'smtp',
      store: redisStore(client),
      rateLimit: false,
    });
  });
  afterEach(() => t.close());

  // WorkOS Magic Link: the relay code is the only code a guess is checked against.
  it(`30 relayed sign-ins, 150 wrong codes at once: exactly ${MAX_CODE_FAILURES_PER_ADDRESS} are compared`, async () => {
    const held = [];
    for (let i = 0; i < 30; i += 1) held.push(await relayedSignIn(t));
    const answers = await Promise.all(
      held.flatMap(({ attacker, code }) =>
        [1, 2, 3, 4, 5].map((n) => typeCode(attacker, wrong(code, n))),
      ),
    );
    const counts = tally(answers.map((res) => res.status));
    expect(counts[400]).toBe(MAX_CODE_FAILURES_PER_ADDRESS);
    expect(counts[429]).toBe(150 - MAX_CODE_FAILURES_PER_ADDRESS);
    const last = await relayedSignIn(t);
    expect((await typeCode(last.attacker, last.code)).status).toBe(429);
  });
});
