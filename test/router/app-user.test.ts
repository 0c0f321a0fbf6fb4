import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { assertSignedIn, magicLinkRouter, requireUser, selfHostedProvider } from '../../lib/index';
import type { MagicLinkEvent, MagicLinkOptions, OutgoingLink } from '../../lib/index';

// onSignIn may return the app's own user shape (issue 19): only `id` is required, and nothing
// downstream reads a profile field from the app's user.

const ORIGIN = 'https://app.example.com';

async function signInWith(onSignIn: NonNullable<MagicLinkOptions['onSignIn']>) {
  const events: MagicLinkEvent[] = [];
  const outbox: OutgoingLink[] = [];
  const app = express();
  app.use(session({ secret: 'app-user-session-secret', resave: false, saveUninitialized: false }));
  app.use(
    magicLinkRouter({
      provider: selfHostedProvider(),
      secret: 'app-user-test-secret-0123456789abcdef0123',
      origin: ORIGIN,
      delivery: async (message) => void outbox.push(message),
      onEvent: (event) => events.push(event),
      onSignIn,
      dangerouslyDisableRateLimit: true,
    }),
  );
  app.get('/account', requireUser(), (req, res) => {
    assertSignedIn(req);
    res.json(req.user);
  });
  const server = createServer(app);
  try {
    const asked = await request(server)
      .post('/auth/magic-link')
      .set('origin', ORIGIN)
      .type('form')
      .send({ email: 'Ada@Example.com', returnTo: '/account' });
    expect(asked.status).toBe(303);
    for (let i = 0; i < 200 && outbox.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const pending = (asked.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const link = new URL(outbox[0]!.link);
    const landed = await request(server)
      .get(link.pathname + link.search)
      .set({ cookie: pending, accept: 'text/html' });
    const sessionCookie = (landed.headers['set-cookie'] as unknown as string[] | undefined)
      ?.map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('connect.sid='));
    const account = await request(server)
      .get('/account')
      .set({ cookie: sessionCookie ?? '', accept: 'application/json' });
    return { landed, account, events };
  } finally {
    server.close();
  }
}

describe("onSignIn returning the app's own user", () => {
  it('{ id } alone signs in; req.user is that object; the sign_in event masks the profile address', async () => {
    const { landed, account, events } = await signInWith((p) => ({ id: `app_${p.id}` }));
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe('/account');
    expect(account.status).toBe(200);
    // The app's id, and the record of this sign-in the package keeps beside it for recentSignIn.
    expect(Object.keys(account.body as object)).toEqual(['id', 'lastSignIn']);
    expect((account.body as { lastSignIn: unknown }).lastSignIn).toEqual({
      at: expect.any(Number),
      method: 'link',
      email: 'ada@example.com',
      // The provider's id, which the app mapped to its own: passkeys belong to it.
      profileId: (account.body as { id: string }).id.slice('app_'.length),
    });
    expect((account.body as { id: string }).id).toMatch(/^app_user_/);
    const signIn = events.find((e) => e.type === 'sign_in');
    expect(signIn).toMatchObject({ type: 'sign_in', userId: expect.stringMatching(/^app_user_/) });
    expect((signIn as { email: string }).email).not.toContain('ada@example.com');
    expect((signIn as { email: string }).email).toMatch(/@example\.com$/);
  });

  it('{ id, email } (the README example) signs in as that shape', async () => {
    const { account } = await signInWith((p) => ({ id: p.id, email: p.email }));
    expect(account.status).toBe(200);
    expect(account.body).toEqual({
      id: expect.any(String),
      email: 'ada@example.com',
      lastSignIn: {
        at: expect.any(Number),
        method: 'link',
        email: 'ada@example.com',
        profileId: (account.body as { id: string }).id,
      },
    });
  });
});
