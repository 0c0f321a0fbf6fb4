import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { magicLinkRouter, memoryStore, selfHostedProvider } from '../../lib/index';
import type { MagicLinkEvent, OutgoingLink } from '../../lib/index';
import { TEST_SECRET } from '../helpers/app';

/**
 * `drain({ timeoutMs })`: a shutdown waits for the sign-in emails under way, but not for ever: a
 * mailer that hangs is given up on after `timeoutMs`, and the answer says how many were left.
 */

function appWithMailer(deliver: (link: OutgoingLink) => Promise<void>) {
  const events: MagicLinkEvent[] = [];
  const router = magicLinkRouter({
    provider: selfHostedProvider(),
    secret: TEST_SECRET,
    origin: 'http://127.0.0.1',
    store: memoryStore(),
    delivery: deliver,
    onEvent: (e) => events.push(e),
    dangerouslyDisableRateLimit: true,
  });
  const app = express();
  app.use(session({ secret: TEST_SECRET, resave: false, saveUninitialized: false }));
  app.use(router);
  return { app, router, events };
}

async function ask(app: express.Express, email: string): Promise<void> {
  const res = await request(app)
    .post('/auth/magic-link')
    .set('Origin', 'http://127.0.0.1')
    .type('form')
    .send({ email });
  expect(res.status).toBe(303);
}

describe('drain({ timeoutMs })', () => {
  it('gives up on a hung mailer after timeoutMs and says how many sends are left', async () => {
    const held: (() => void)[] = [];
    const { app, router, events } = appWithMailer(
      () => new Promise<void>((resolve) => held.push(resolve)),
    );
    await ask(app, 'a@example.com');
    await ask(app, 'b@example.com');
    // Real timers, and no claim about how long it took: only that it came back unsettled.
    await expect(router.drain({ timeoutMs: 20 })).resolves.toEqual({ settled: false, pending: 2 });
    await expect(router.drain({ timeoutMs: 0 })).resolves.toEqual({ settled: false, pending: 2 });

    // Once the mailer answers, a drain without a limit resolves as before.
    while (held.length < 2) await new Promise((r) => setImmediate(r));
    const all = router.drain();
    for (const resolve of held) resolve();
    await expect(all).resolves.toEqual({ settled: true, pending: 0 });
    expect(events.filter((e) => e.type === 'link_sent')).toHaveLength(2);
  });

  it('resolves settled at once when nothing is running, and when the sends finish first', async () => {
    const { app, router } = appWithMailer(async () => undefined);
    await expect(router.drain({ timeoutMs: 60_000 })).resolves.toEqual({
      settled: true,
      pending: 0,
    });
    await ask(app, 'c@example.com');
    // A long limit does not keep the caller (or the process) waiting once the send is done.
    await expect(router.drain({ timeoutMs: 600_000 })).resolves.toEqual({
      settled: true,
      pending: 0,
    });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
    'refuses timeoutMs %p with a TypeError naming the fix',
    async (timeoutMs) => {
      const { router } = appWithMailer(async () => undefined);
      await expect(router.drain({ timeoutMs: timeoutMs as number })).rejects.toThrow(
        /drain: timeoutMs must be a finite number of milliseconds.*router\.drain\(\{ timeoutMs: 10_000 \}\)/,
      );
    },
  );
});
