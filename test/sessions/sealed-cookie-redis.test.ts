import request from 'supertest';
import type Redis from 'ioredis';
import { redisStore, sealedCookieSession } from '../../lib/index';
import type { SealedCookieSession, Store } from '../../lib/index';
import { sessionAdapterConformanceCases } from '../../lib/testing/index';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { connectIoredis, describeWithRedis, TEST_COMMAND_TIMEOUT_MS } from '../helpers/redis';
import { cookieValue, requestCallback, signIn } from '../security/flow';

const SESSION_SECRET = 'sealed-redis-session-secret-0123456789abcd';
const COOKIE = 'mlsession';

describeWithRedis('sealedCookieSession on redisStore', (redis) => {
  let client: Redis;
  let store: Store;
  beforeAll(async () => {
    client = await connectIoredis(redis().url);
    store = redisStore(client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS });
  });
  afterAll(async () => {
    await client.quit().catch(() => client.disconnect());
  });

  describe('meets the SessionAdapter contract', () => {
    // The adapter is built lazily: the store exists only once Redis is up.
    let adapter: SealedCookieSession | undefined;
    const lazy = (): SealedCookieSession =>
      (adapter ??= sealedCookieSession({
        secret: SESSION_SECRET,
        store: redisStore(client, {
          prefix: 'conformance:',
          commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS,
        }),
        origin: 'http://127.0.0.1',
      }));
    const proxy: SealedCookieSession = {
      get cookieName() {
        return lazy().cookieName;
      },
      getUser: (req, res) => lazy().getUser(req, res),
      signIn: (req, res, user) => lazy().signIn(req, res, user),
      signOut: (req, res) => lazy().signOut(req, res),
      signOutEverywhere: (id) => lazy().signOutEverywhere(id),
    };
    for (const c of sessionAdapterConformanceCases({ adapter: proxy, mount: (probe) => probe })) {
      it(c.name, c.run);
    }
  });

  describe('through the real router over HTTP', () => {
    let t: TestApp;
    let adapter: SealedCookieSession;
    beforeEach(async () => {
      adapter = sealedCookieSession({ secret: SESSION_SECRET });
      t = await createTestApp({
        expressSession: false,
        rateLimit: false,
        store,
        router: { session: adapter },
      });
    });
    afterEach(() => t.close());

    it('signs in, and a copied cookie is dead after sign-out', async () => {
      const agent = request.agent(t.url);
      const stolen = cookieValue(await agent.get(await requestCallback(t, agent)), COOKIE)!;
      expect(stolen).toBeDefined();
      expect((await agent.get('/account')).status).toBe(200);
      // What sign-out will write lives in Redis, under the store's and the adapter's prefixes.
      expect(await client.keys('mlink:session:revoked:*')).toEqual([]);
      expect((await agent.post('/auth/logout')).status).toBe(303);
      const revoked = await client.keys('mlink:session:revoked:*');
      expect(revoked).toHaveLength(1);
      const ttl = await client.pttl(revoked[0]!);
      // idleMs (1 day by default) and a 5-minute margin: no copy outlives that.
      expect(ttl).toBeGreaterThan(24 * 3600_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600_000 + 5 * 60_000);
      const replay = await request(t.url).get('/account').set('Cookie', `${COOKIE}=${stolen}`);
      expect(replay.status).toBe(303);
      await client.del(...revoked);
    });

    it('signOutEverywhere through Redis ends every session of the user', async () => {
      const laptop = request.agent(t.url);
      const phone = request.agent(t.url);
      await signIn(t, laptop, 'carol@example.com');
      await signIn(t, phone, 'carol@example.com');
      const id = (await laptop.get('/account')).body.id as string;
      await adapter.signOutEverywhere(id);
      expect((await laptop.get('/account')).status).toBe(303);
      expect((await phone.get('/account')).status).toBe(303);
      const generations = await client.keys('mlink:session:gen:*');
      expect(generations.length).toBeGreaterThanOrEqual(1);
      await client.del(...generations);
    });
  });

  // Last: it takes Redis away.
  describe('when Redis goes away', () => {
    it('Redis gone: a signed-in cookie reads as signed out (not an error), and back when Redis is', async () => {
      const reports: unknown[] = [];
      const adapter = sealedCookieSession({ secret: SESSION_SECRET });
      adapter.init!({
        store: redisStore(client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS }),
        secure: false,
        origin: 'http://127.0.0.1',
        report: (_req, err) => reports.push(err),
      });
      const { IncomingMessage, ServerResponse } = await import('node:http');
      const { Socket } = await import('node:net');
      const req = new IncomingMessage(new Socket());
      const res = new ServerResponse(req);
      await adapter.signIn(req, res, { id: 'user_redis', email: 'r@example.test' } as never);
      const cookie = (res.getHeader('Set-Cookie') as string[])[0]!.split(';', 1)[0]!;
      const ask = () => {
        const r = new IncomingMessage(new Socket());
        r.headers.cookie = cookie;
        return adapter.getUser(r, new ServerResponse(r));
      };
      await expect(ask()).resolves.toMatchObject({ id: 'user_redis' });
      redis().kill();
      await new Promise<void>((resolve) => {
        if (client.status !== 'ready') resolve();
        else client.once('close', () => resolve());
      });
      await expect(ask()).resolves.toBeNull();
      expect(reports.length).toBeGreaterThanOrEqual(1);
      await redis().restart();
      await new Promise<void>((resolve) => {
        if (client.status === 'ready') resolve();
        else client.once('ready', () => resolve());
      });
      await expect(ask()).resolves.toMatchObject({ id: 'user_redis' });
    }, 60_000);
  });
});
