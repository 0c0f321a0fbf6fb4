import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import express5 from 'express';
import session from 'express-session';
import request from 'supertest';
import { magicLinkRouter, requireUser, selfHostedProvider } from '../../lib/index';
import type { MagicLinkProfile, OutgoingLink } from '../../lib/index';
import { TEST_SECRET } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

/** Apps mount other middleware before ours; the router must still read cookies and bodies right. */
async function appWith(express: typeof express5, before: express5.RequestHandler[]) {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sent: OutgoingLink[] = [];
  const app = express();
  for (const mw of before) app.use(mw);
  app.use(session({ secret: TEST_SECRET, resave: false, saveUninitialized: false }));
  app.use(
    magicLinkRouter({
      provider: selfHostedProvider(),
      delivery: async (message) => {
        sent.push(message);
      },
      secret: TEST_SECRET,
      origin: url,
      dangerouslyDisableRateLimit: true,
    }),
  );
  app.get('/account', requireUser(), (req, res) => {
    res.json({ email: (req.user as MagicLinkProfile).email });
  });
  server.on('request', app);
  return {
    url,
    sent,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s with other middleware mounted first', (_name, express) => {
  it('works behind cookie-parser (signed cookies on) and global body parsers', async () => {
    const t = await appWith(express, [
      cookieParser('another-secret'),
      express.json(),
      express.urlencoded({ extended: true }),
    ]);
    try {
      const agent = request.agent(t.url);
      const asked = await agent
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'c@example.com', returnTo: '/account' });
      expect(asked.status).toBe(303);
      const json = await request(t.url).post('/auth/magic-link').send({ email: 'd@example.com' });
      expect(json.status).toBe(202);
      expect(t.sent.map((m) => m.to)).toEqual(['c@example.com', 'd@example.com']);

      const link = new URL(t.sent[0]!.link);
      const landed = await agent.get(link.pathname + link.search);
      expect(landed.status).toBe(303);
      expect(landed.headers.location).toBe('/account');
      expect((await agent.get('/account')).body).toEqual({ email: 'c@example.com' });
    } finally {
      await t.close();
    }
  });

  it('still refuses nested and repeated fields that a global extended parser turned into objects', async () => {
    const t = await appWith(express, [express.urlencoded({ extended: true })]);
    try {
      const nested = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send('email[a]=x@example.com');
      const repeated = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send('email=a@example.com&email=b@example.com');
      expect(nested.status).toBe(400);
      expect(repeated.status).toBe(400);
      expect(t.sent).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
