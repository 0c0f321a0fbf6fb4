// The A* rows of docs/threat-model.md: limits that hold under a flood, and answers that say
// nothing about the address. Every flood is bounded in count and stays on loopback.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { memoryStore } from '../../lib/index';
import type { MemoryStore } from '../../lib/index';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail, setsSession } from '../helpers/sign-in';

const VICTIM = 'victim@example.com';
/** Requests per flood: enough to overflow the small store below many times over. */
const FLOOD = 2000;
/** A flood is bounded in count, not in time: a busy machine may take a while. */
const FLOOD_TIMEOUT_MS = 240_000;
const WORKERS = 16;

let t: TestApp;
afterEach(() => t.close());

/** Sends `count` requests built by `make`, `WORKERS` at a time, and tallies their statuses. */
async function flood(
  count: number,
  make: (i: number) => Promise<{ status: number }>,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < count) {
        const i = next++;
        const { status } = await make(i);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

function post(path: string, body: string, headers: Record<string, string>) {
  return fetch(`${t.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url, ...headers },
    body,
  }).then(async (res) => {
    await res.arrayBuffer();
    return res;
  });
}

describe('A1: a bounded flood meets 429 before it writes anything', () => {
  let store: MemoryStore;
  beforeEach(async () => {
    // Small enough that the flood would fill it many times over if each request wrote a key.
    // Its clock stands still, so a flood slowed by a busy machine cannot outlast a one-minute
    // window and be let through again: the test counts what one window admits.
    const frozen = Date.now();
    store = memoryStore({ maxEntries: 500, warnInProduction: false, now: () => frozen });
    t = await createTestApp({ provider: 'self-hosted', store });
  });

  it(
    'on /verify with made-up cookies and codes: no key is written, and the victim still signs in',
    async () => {
      const victim = request.agent(t.url);
      await askForLink(victim, VICTIM);
      const { link } = await nextEmail(t, VICTIM);
      const before = store.size;

      const statuses = await flood(FLOOD, () =>
        post('/auth/magic-link/verify', 'code=123456', {
          cookie: `mlink=${randomBytes(16).toString('base64url')}`,
        }),
      );
      expect([...statuses.keys()].every((s) => s === 400 || s === 429)).toBe(true);
      expect(statuses.get(429)).toBeGreaterThan(FLOOD / 2);
      // Only the per-IP counters were written: one key per window, not one per request.
      expect(store.size - before).toBeLessThanOrEqual(4);

      const landed = await victim.get(pathOf(link));
      expect(landed.status).toBe(303);
      expect(setsSession(landed)).toBe(true);
    },
    FLOOD_TIMEOUT_MS,
  );

  it(
    'on POST /auth/magic-link with rotating addresses and IPv6 /56s of one /48: the per-address limit still answers 429',
    async () => {
      await t.close();
      // Room for what the accepted requests legitimately write, not for what the flood would.
      const frozen = Date.now();
      store = memoryStore({ maxEntries: 2000, warnInProduction: false, now: () => frozen });
      t = await createTestApp({ provider: 'self-hosted', store, trustProxy: true });
      const victim = request.agent(t.url);
      await askForLink(victim, VICTIM);
      const { link } = await nextEmail(t, VICTIM);

      const statuses = await flood(FLOOD, (i) =>
        post('/auth/magic-link', `email=spray${i}%40example.net`, {
          // Each request from another /56 of 2001:db8:ab::/48 (F01d).
          'x-forwarded-for': `2001:db8:ab:${(i % 256).toString(16)}00::1`,
        }),
      );
      await t.settled();
      // The /48 bucket stops the spread at 4 × 30 a minute; the rest never reach the store.
      expect(statuses.get(303)).toBeLessThanOrEqual(120);
      expect(statuses.get(429)).toBeGreaterThanOrEqual(FLOOD - 120);
      expect(store.size).toBeLessThan(2000);

      // The victim's link from before the flood still works, and their limit still holds.
      expect((await victim.get(pathOf(link))).status).toBe(303);
      const again = request.agent(t.url);
      const answers: number[] = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          (await again.post('/auth/magic-link').type('form').send({ email: VICTIM })).status,
        );
      }
      expect(answers).toEqual([303, 303, 429]);
    },
    FLOOD_TIMEOUT_MS,
  );
});

describe('A1, A4: junk against a genuine state, and wrapped links with nothing pending', () => {
  it(
    'meets 429 and costs at most 3 token calls, however many junk codes are posted to the callback',
    async () => {
      t = await createTestApp({ provider: 'workos', router: { crossDevice: 'confirm' } });
      const agent = request.agent(t.url);
      await askForLink(agent, VICTIM);
      const [mail] = await t.outbox();
      const back = new URL(
        (await fetch(mail!.link, { redirect: 'manual' })).headers.get('location')!,
      );
      const state = back.searchParams.get('state')!;
      const statuses = await flood(FLOOD / 4, (i) =>
        post('/auth/callback', `code=01JUNK${String(i).padStart(20, '0')}&state=${state}`, {}),
      );
      expect([...statuses.keys()].every((s) => s === 400 || s === 429)).toBe(true);
      expect(statuses.get(429)).toBeGreaterThan(FLOOD / 8);
      expect(
        t.emulator!.requests.filter((r) => r.path === '/sso/token').length,
      ).toBeLessThanOrEqual(3);
    },
    FLOOD_TIMEOUT_MS,
  );

  it('never follows a wrapped WorkOS link once its sign-in is no longer pending', async () => {
    t = await createTestApp({ provider: 'workos', delivery: 'smtp', rateLimit: false });
    const agent = request.agent(t.url);
    await askForLink(agent, VICTIM);
    const { link } = await nextEmail(t, VICTIM);
    const visits = () => t.emulator!.requests.filter((r) => r.path.endsWith('/confirm')).length;
    // The asking browser signs in: the /open link sends it on to WorkOS, once.
    const onward = await agent.get(pathOf(link));
    expect(onward.status).toBe(303);
    const landed = await agent.get(
      pathOf(
        await fetch(onward.headers.location!, { redirect: 'manual' }).then((r) =>
          r.headers.get('location')!,
        ),
      ),
    );
    expect(landed.status).toBe(303);
    expect(visits()).toBe(1);

    const wrapped = new URL(link).searchParams.get('t')!;
    for (let i = 0; i < 20; i++) {
      const res = await request(t.url)
        .post('/auth/magic-link/open')
        .type('form')
        .send({ t: wrapped });
      expect(res.status).toBe(400);
    }
    expect(visits()).toBe(1);
  });
});

describe('A3: the answer to a link request does not wait for the provider or the mailer', () => {
  it('answers "sent" while the mailer has not finished, for an allowed and a refused address alike', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const delivered: string[] = [];
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: {
        delivery: async ({ to }) => {
          await gate;
          delivered.push(to);
        },
        allow: (email) => email !== 'refused@example.com',
      },
    });
    const allowed = await request(t.url).post('/auth/magic-link').send({ email: VICTIM });
    const refused = await request(t.url)
      .post('/auth/magic-link')
      .send({ email: 'refused@example.com' });
    expect([allowed.status, allowed.body]).toEqual([202, { status: 'sent' }]);
    expect([refused.status, refused.body]).toEqual([202, { status: 'sent' }]);
    expect(delivered).toEqual([]);
    release();
    await t.settled();
    expect(delivered).toEqual([VICTIM]);
    expect(t.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['link_sent', 'link_not_sent']),
    );
  });
});

describe('F05: allow() sees the canonical address', () => {
  it('cannot be dodged by changing the case of a denied address', async () => {
    const seen: string[] = [];
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: {
        allow: (email) => {
          seen.push(email);
          return email !== 'blocked@example.com';
        },
      },
    });
    for (const email of ['Blocked@Example.com', 'BLOCKED@example.COM']) {
      expect((await request(t.url).post('/auth/magic-link').send({ email })).status).toBe(202);
    }
    await t.settled();
    expect(seen).toEqual(['blocked@example.com', 'blocked@example.com']);
    expect(t.smtp!.messages).toHaveLength(0);
    expect(t.events.filter((e) => e.type === 'link_not_sent')).toHaveLength(2);
  });
});

describe('A6: a stranger cannot hold the owner up minute by minute', () => {
  it('lets the owner ask from their own IP after a stranger used up the minute from another', async () => {
    t = await createTestApp({ provider: 'self-hosted', trustProxy: true });
    const ask = (ip: string) =>
      request(t.url)
        .post('/auth/magic-link')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ email: VICTIM });
    const stranger: number[] = [];
    for (let i = 0; i < 4; i++) stranger.push((await ask('198.51.100.7')).status);
    expect(stranger).toEqual([303, 303, 303, 429]);
    expect((await ask('192.0.2.44')).status).toBe(303);
  });
});

describe('A9: a repeated key in a JSON body', () => {
  it('is refused with 400, as a repeated form field is', async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
    const res = await request(t.url)
      .post('/auth/magic-link')
      .set('Content-Type', 'application/json')
      .send('{"email":"victim@example.com","email":"attacker@example.com"}');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'bad_request', message: 'The request was not understood.' });
    await t.settled();
    expect(t.smtp!.messages).toHaveLength(0);
  });
});

describe("F07: the confirmation page (crossDevice: 'confirm')", () => {
  it('names the whole address, and warns when this browser is signed in as someone else', async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      rateLimit: false,
      router: { crossDevice: 'confirm' },
    });
    const phone = request.agent(t.url);
    await askForLink(phone, 'mallory@example.com');
    const own = await nextEmail(t, 'mallory@example.com');
    expect((await phone.get(pathOf(own.link))).status).toBe(303);

    const victim = request.agent(t.url);
    await askForLink(victim, VICTIM);
    const { link } = await nextEmail(t, VICTIM);
    const page = await phone.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<strong>${VICTIM}</strong>`);
    expect(page.text).toContain(
      'This browser is signed in as <strong>mallory@example.com</strong>',
    );
  });
});
