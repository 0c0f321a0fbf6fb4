import express from 'express';
import session from 'express-session';
import { expressSessionAdapter } from '../../lib/index';
import type { SessionAdapter } from '../../lib/index';
import { sessionAdapterConformanceCases } from '../../lib/testing/index';
import type { SessionProbe } from '../../lib/testing/index';

const mount = (probe: SessionProbe) => {
  const app = express();
  app.use(session({ secret: 'conformance-secret', resave: false, saveUninitialized: false }));
  app.use(probe);
  return app;
};

describe('expressSessionAdapter meets the SessionAdapter contract', () => {
  for (const c of sessionAdapterConformanceCases({ adapter: expressSessionAdapter(), mount })) {
    it(c.name, c.run);
  }
});

describe('the conformance suite catches broken adapters', () => {
  const real = expressSessionAdapter();
  const cases = (adapter: SessionAdapter) =>
    Object.fromEntries(
      sessionAdapterConformanceCases({ adapter, mount }).map((c) => [c.name, c.run]),
    );

  it('fails an adapter that keeps the session id at sign-in (fixation)', async () => {
    const keepsId: SessionAdapter = {
      ...real,
      async signIn(req, _res, user) {
        const s = (
          req as unknown as { session: Record<string, unknown> & { save(cb: () => void): void } }
        ).session;
        s.magicLinkUser = user;
        await new Promise<void>((resolve) => s.save(resolve));
      },
      // Signing out without destroying leaves the same id to be reused at the next sign-in.
      async signOut(req) {
        delete (req as unknown as { session: Record<string, unknown> }).session.magicLinkUser;
      },
    };
    const run =
      cases(keepsId)['signIn issues a new session: cookies from before sign-in stay signed out']!;
    await expect(run()).rejects.toThrow();
  });

  it('fails an adapter whose signOut does not destroy the session', async () => {
    const forgetful: SessionAdapter = { ...real, async signOut() {} };
    const run = cases(forgetful)['signOut destroys the session: a replayed cookie is signed out']!;
    await expect(run()).rejects.toThrow();
  });
});
