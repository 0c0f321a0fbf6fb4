import { inspect } from 'node:util';
import { createClient } from 'redis';
import request from 'supertest';
import { redisStore } from '../../lib/stores/redis';
import type { RedisStoreClient } from '../../lib/stores/redis';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { TEST_COMMAND_TIMEOUT_MS, connectIoredis, describeWithRedis } from '../helpers/redis';
import { codeIn, linksIn } from '../helpers/smtp';

type Kind = 'ioredis' | 'node-redis';

/**
 * A store call gives up after TEST_COMMAND_TIMEOUT_MS (5 s). Without that, a hung Redis would
 * hold the request until the test times out; this bound leaves a busy machine plenty of room.
 */
const BOUND_MS = 20_000;
const RECOVERY_MS = 15_000;

interface Connection {
  client: RedisStoreClient;
  ready(): boolean;
  /** A raw command, past the store. */
  raw(...args: string[]): Promise<unknown>;
  close(): void;
}

/** The client options redisStore's documentation recommends. */
async function connect(kind: Kind, url: string): Promise<Connection> {
  if (kind === 'ioredis') {
    const client = await connectIoredis(url);
    return {
      client,
      ready: () => client.status === 'ready',
      raw: (command, ...args) => client.call(command, ...args),
      close: () => client.disconnect(),
    };
  }
  const client = createClient({ url, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client,
    ready: () => client.isReady,
    raw: (...args) => client.sendCommand(args),
    close: () => client.destroy(),
  };
}

function hasSession(res: request.Response): boolean {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (raw ?? []).some((line) => line.startsWith('sid='));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** Retries `attempt` until it answers something other than 503, within `timeoutMs`. */
async function untilNot503(
  attempt: () => Promise<request.Response>,
  timeoutMs: number,
): Promise<request.Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await attempt();
    if (res.status !== 503 || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeWithRedis('Redis faults: the flow fails closed and recovers', (redis) => {
  describe.each<Kind>(['ioredis', 'node-redis'])('with %s', (kind) => {
    let connection: Connection;
    let t: TestApp;
    let down = false;

    function kill(): void {
      redis().kill();
      down = true;
    }

    async function restart(): Promise<void> {
      await redis().restart();
      down = false;
    }

    async function waitReady(): Promise<void> {
      const deadline = Date.now() + RECOVERY_MS;
      while (!connection.ready()) {
        if (Date.now() > deadline) throw new Error(`${kind} did not reconnect`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    beforeAll(async () => {
      connection = await connect(kind, redis().url);
      t = await createTestApp({
        provider: 'self-hosted',
        store: redisStore(connection.client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS }),
        // The limiter stays on (it is the first store call), with room for the recovery polls.
        router: { rateLimit: { perIp: [{ limit: 1000, windowMs: 60_000 }] } },
      });
    });

    afterEach(async () => {
      if (down) await restart();
      await waitReady();
    });

    afterAll(async () => {
      await t.close();
      connection.close();
    });

    /** Asks for a link while Redis is up; returns the agent that asked and the email's link. */
    async function linkFor(email: string): Promise<{ agent: request.Agent; link: string }> {
      const agent = request.agent(t.url);
      const sent = await agent.post('/auth/magic-link').type('form').send({ email });
      expect(sent.status).toBe(303);
      const mail = await t.smtp!.waitForMessage((m) => m.text?.includes(email) ?? false);
      const link = linksIn(mail)[0]!;
      expect(codeIn(mail)).toMatch(/^[0-9]{6}$/);
      return { agent, link: link.slice(t.url.length) };
    }

    it('answers 503 to a request for a link while Redis is unreachable, and keeps serving', async () => {
      const mailed = t.smtp!.messages.length;
      kill();

      const html = await timed(() =>
        request(t.url)
          .post('/auth/magic-link')
          .set('Accept', 'text/html')
          .type('form')
          .send({ email: 'down@example.com' }),
      );
      expect(html.value.status).toBe(503);
      expect(html.value.text).toContain('Sign-in is temporarily unavailable');
      expect(html.value.headers['cache-control']).toBe('no-store');
      expect(html.ms).toBeLessThan(BOUND_MS);

      const json = await timed(() =>
        request(t.url).post('/auth/magic-link').send({ email: 'down@example.com' }),
      );
      expect(json.value.status).toBe(503);
      expect(json.value.body).toEqual({
        error: 'store_unavailable',
        message: 'Sign-in is temporarily unavailable. Try again in a moment.',
      });
      expect(json.ms).toBeLessThan(BOUND_MS);

      expect(t.smtp!.messages.length).toBe(mailed);
      const home = await request(t.url).get('/');
      expect(home.status).toBe(200);
      expect(home.text).toBe('home');
      expect(t.events.at(-1)).toMatchObject({
        type: 'provider_error',
        reason: 'ERR_STORE_UNAVAILABLE',
      });
    });

    it('refuses a valid link, code and confirmation while Redis is down: 503, and no session', async () => {
      const { agent, link } = await linkFor(`valid-${kind}@example.com`);
      const url = new URL(link, t.url);
      const signIns = t.events.filter((e) => e.type === 'sign_in').length;
      kill();

      const click = await timed(() => agent.get(link).set('Accept', 'text/html'));
      expect(click.value.status).toBe(503);
      expect(click.ms).toBeLessThan(BOUND_MS);
      expect(hasSession(click.value)).toBe(false);

      const confirm = await request(t.url)
        .post('/auth/callback')
        .type('form')
        .send({ code: url.searchParams.get('code')!, state: url.searchParams.get('state')! });
      expect(confirm.status).toBe(503);
      expect(hasSession(confirm)).toBe(false);

      const code = await agent.post('/auth/magic-link/verify').send({ code: '123456' });
      expect(code.status).toBe(503);
      expect(code.body.error).toBe('store_unavailable');
      expect(hasSession(code)).toBe(false);

      expect((await agent.get('/account').set('Accept', 'application/json')).status).toBe(401);
      expect((await request(t.url).get('/')).status).toBe(200);
      expect(t.events.filter((e) => e.type === 'sign_in')).toHaveLength(signIns);
    });

    it('answers 503 within the command timeout while Redis hangs, then carries on', async () => {
      const { agent, link } = await linkFor(`hang-${kind}@example.com`);
      redis().pause();
      try {
        const click = await timed(() => agent.get(link).set('Accept', 'text/html'));
        expect(click.value.status).toBe(503);
        expect(hasSession(click.value)).toBe(false);
        expect(click.ms).toBeGreaterThanOrEqual(TEST_COMMAND_TIMEOUT_MS - 100);
        expect(click.ms).toBeLessThan(BOUND_MS);
        expect((await request(t.url).get('/')).status).toBe(200);
      } finally {
        redis().resume();
      }
      // Nothing was spent while Redis hung, so the same click now signs in.
      const again = await agent.get(link);
      expect(again.status).toBe(303);
      expect(again.headers.location).toBe('/');
      expect((await agent.get('/account')).status).toBe(200);
    });

    it('reports a store that refuses writes (maxmemory), without the address in any event', async () => {
      // No rate limits, so the first write is the token record itself, address and all; it
      // happens after the answer (threat model A3), so the failure shows as an event.
      const app = await createTestApp({
        provider: 'self-hosted',
        store: redisStore(connection.client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS }),
        rateLimit: false,
      });
      const email = `full-${kind}@example.com`;
      try {
        await connection.raw('CONFIG', 'SET', 'maxmemory', '1');
        try {
          const res = await request(app.url).post('/auth/magic-link').send({ email });
          expect(res.status).toBe(202);
          await app.settled();
          expect(app.smtp!.messages).toHaveLength(0);
          expect(app.events).toEqual([
            expect.objectContaining({ type: 'provider_error', reason: 'ERR_STORE_UNAVAILABLE' }),
          ]);
          const shown = `${JSON.stringify(app.events)}\n${inspect(app.events, { depth: 10 })}`;
          expect(shown).toContain('OOM');
          expect(shown).not.toContain(email);
        } finally {
          await connection.raw('CONFIG', 'SET', 'maxmemory', '0');
        }
        const again = await request(app.url).post('/auth/magic-link').send({ email });
        expect(again.status).toBe(202);
        await app.settled();
        expect(app.events.at(-1)).toMatchObject({ type: 'link_sent' });
      } finally {
        await app.close();
      }
    });

    it('fails closed when Redis dies mid-flow, then recovers by itself after a restart', async () => {
      const { agent, link } = await linkFor(`midflow-${kind}@example.com`);
      kill();

      const click = await agent.get(link).set('Accept', 'text/html');
      expect(click.status).toBe(503);
      expect(hasSession(click)).toBe(false);
      expect((await agent.get('/account').set('Accept', 'application/json')).status).toBe(401);

      // A fresh, empty Redis on the same port (persistence is off): the old link is gone, so it
      // is refused as expired, which is the fail-closed answer. Same app, same client.
      await restart();
      const old = await untilNot503(() => agent.get(link).set('Accept', 'text/html'), RECOVERY_MS);
      expect(old.status).toBe(400);
      expect(old.text).toContain('expired or was already used');
      expect(hasSession(old)).toBe(false);

      const email = `recovered-${kind}@example.com`;
      const again = await agent.post('/auth/magic-link').type('form').send({ email });
      expect(again.status).toBe(303);
      const mail = await t.smtp!.waitForMessage((m) => m.text?.includes(email) ?? false);
      const landed = await agent.get(linksIn(mail)[0]!.slice(t.url.length));
      expect(landed.status).toBe(303);
      expect(hasSession(landed)).toBe(true);
      const account = await agent.get('/account');
      expect(account.status).toBe(200);
      expect(account.body.email).toBe(email);
    });
  });
});
