import { createServer } from 'node:http';
import express5 from 'express';
import type { ErrorRequestHandler, Express } from 'express';
import request from 'supertest';
import { assertSignedIn, magicLinkRouter, requireUser, selfHostedProvider } from '../lib/index';
import type { SessionAdapter } from '../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

/** Signed in as whoever the `x-test-user` header names: an app user that is only an id. */
const headerSession: SessionAdapter = {
  getUser(req) {
    const id = req.headers['x-test-user'];
    return typeof id === 'string' ? { id } : null;
  },
  async signIn() {},
  async signOut() {},
};

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('assertSignedIn(req) (%s)', (_name, express) => {
  function app(): { app: Express; errors: unknown[] } {
    const app = express();
    const errors: unknown[] = [];
    app.use(
      magicLinkRouter({
        provider: selfHostedProvider(),
        secret: 'assert-signed-in-secret-0123456789abcdef',
        origin: 'https://app.example.com',
        delivery: async () => {},
        session: headerSession,
      }),
    );
    app.get('/guarded', requireUser(), (req, res) => {
      assertSignedIn(req);
      res.json({ id: req.user.id });
    });
    app.get('/forgot-the-guard', (req, res) => {
      assertSignedIn(req);
      res.json({ id: req.user.id });
    });
    const onError: ErrorRequestHandler = (err, _req, res, next) => {
      errors.push(err);
      if (res.headersSent) return next(err);
      res.status(500).json({ error: 'misconfigured' });
    };
    app.use(onError);
    return { app, errors };
  }

  it('passes a signed-in request, with req.user as set', async () => {
    const { app: a } = app();
    const res = await request(createServer(a)).get('/guarded').set('x-test-user', 'user_7');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'user_7' });
  });

  it('never lets a visitor through when the guard is missing: an error naming requireUser()', async () => {
    const { app: a, errors } = app();
    const server = createServer(a);
    const res = await request(server).get('/forgot-the-guard');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'misconfigured' });
    expect(String(errors[0])).toMatch(/assertSignedIn: .*put requireUser\(\) before the handler/);
  });
});
