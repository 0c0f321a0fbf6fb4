import request from 'supertest';
import type { Pool } from 'pg';
import { postgresStore } from '../../lib/stores/postgres';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { describeWithPostgres } from '../helpers/postgres';
import { linksIn } from '../helpers/smtp';

// postgresStore under faults, through the real router (self-hosted provider, real SMTP): the
// answer is 503 and no session while Postgres is down, hung or out of connections; the flow
// recovers by itself; and a link is spent exactly once, across two router instances too.

/** A store call gives up after this; room for a busy machine, short enough for the tests. */
const STATEMENT_TIMEOUT_MS = 2_000;
const RECOVERY_MS = 30_000;

function hasSession(res: request.Response): boolean {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (raw ?? []).some((line) => line.startsWith('sid='));
}

async function untilNot503(attempt: () => Promise<request.Response>): Promise<request.Response> {
  const deadline = Date.now() + RECOVERY_MS;
  for (;;) {
    const res = await attempt();
    if (res.status !== 503 || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeWithPostgres('Postgres faults: the flow fails closed, recovers, and spends once', (pg) => {
  let pool: Pool;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    pool = pg().pool({ max: 4 });
    const store = postgresStore(pool, { statementTimeoutMs: STATEMENT_TIMEOUT_MS });
    await store.ensureSchema();
    const router = { rateLimit: { perIp: [{ limit: 10_000, windowMs: 60_000 }] } };
    a = await createTestApp({ provider: 'self-hosted', store, router });
    // A second router instance, with its own pool, on the same database.
    b = await createTestApp({
      provider: 'self-hosted',
      store: postgresStore(pg().pool({ max: 10 }), { statementTimeoutMs: STATEMENT_TIMEOUT_MS }),
      router,
    });
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  async function linkFor(email: string): Promise<{ agent: request.Agent; link: string }> {
    const agent = request.agent(a.url);
    const sent = await agent.post('/auth/magic-link').type('form').send({ email });
    expect(sent.status).toBe(303);
    const mail = await a.smtp!.waitForMessage((m) => m.text?.includes(email) ?? false);
    return { agent, link: linksIn(mail)[0]!.slice(a.url.length) };
  }

  it('20 callbacks racing across two router instances on one database: one sign-in', async () => {
    const email = 'race@example.com';
    const sent = await request(a.url).post('/auth/magic-link').type('form').send({ email });
    expect(sent.status).toBe(303);
    const cookie = (sent.headers['set-cookie'] as unknown as string[])
      .map((line) => line.split(';')[0])
      .join('; ');
    const mail = await a.smtp!.waitForMessage((m) => m.text?.includes(email) ?? false);
    const link = linksIn(mail)[0]!.slice(a.url.length);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request((i % 2 ? b : a).url)
          .get(link)
          .set('Accept', 'text/html')
          .set('Cookie', cookie),
      ),
    );
    const winners = replies.filter((r) => r.status === 303 && r.headers.location === '/');
    expect(winners).toHaveLength(1);
    expect(replies.filter(hasSession)).toHaveLength(1);
    for (const r of replies.filter((x) => x !== winners[0])) expect(r.status).toBe(400);
  }, 60_000);

  it('Postgres stopped mid-sign-in: 503 and no session; restarted: the link works, once', async () => {
    const { agent, link } = await linkFor('stopped@example.com');
    await pg().stop();
    try {
      const click = await agent.get(link).set('Accept', 'text/html');
      expect(click.status).toBe(503);
      expect(hasSession(click)).toBe(false);
      const ask = await request(a.url).post('/auth/magic-link').send({ email: 'x@example.com' });
      expect(ask.status).toBe(503);
    } finally {
      await pg().restart();
    }
    const again = await untilNot503(() => agent.get(link).set('Accept', 'text/html'));
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe('/');
    expect(hasSession(again)).toBe(true);
    const replay = await agent.get(link).set('Accept', 'text/html');
    expect(replay.status).toBe(400);
  }, 120_000);

  it('a statement hung on a lock past its timeout: 503, then the link works once', async () => {
    const { agent, link } = await linkFor('hung@example.com');
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      // Every row locked by another transaction, as a long migration or a stuck job would.
      await holder.query('SELECT key FROM magic_link_store FOR UPDATE');
      const click = await agent.get(link).set('Accept', 'text/html');
      expect(click.status).toBe(503);
      expect(hasSession(click)).toBe(false);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const again = await untilNot503(() => agent.get(link).set('Accept', 'text/html'));
    expect(again.status).toBe(303);
    expect(hasSession(again)).toBe(true);
    expect((await agent.get(link).set('Accept', 'text/html')).status).toBe(400);
  }, 120_000);

  it('a pool with no free connection: 503, then the link works once', async () => {
    const { agent, link } = await linkFor('exhausted@example.com');
    const held = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
    try {
      const click = await agent.get(link).set('Accept', 'text/html');
      expect(click.status).toBe(503);
      expect(hasSession(click)).toBe(false);
    } finally {
      for (const client of held) client.release();
    }
    const again = await untilNot503(() => agent.get(link).set('Accept', 'text/html'));
    expect(again.status).toBe(303);
    expect(hasSession(again)).toBe(true);
    expect((await agent.get(link).set('Accept', 'text/html')).status).toBe(400);
  }, 120_000);
});
