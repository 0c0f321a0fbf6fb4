import express from 'express';
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { expectTypeOf } from 'expect-type';
import { assertSignedIn, requireUser, selfHostedProvider } from '../../lib/index';
import type {
  LastSignIn,
  MagicLinkOptions,
  MagicLinkProfile,
  SignedInRequest,
  SignInDetails,
} from '../../lib/index';

// Type tests: tsc checks them (npm test runs `tsc --noEmit`), and jest runs the few runtime
// lines. The app here declares nothing on Express.User, so these are the types a new app gets.

type OnSignIn = NonNullable<MagicLinkOptions['onSignIn']>;

describe('Express.User', () => {
  it('promises only the id, the one field every signed-in user has at run time, and the optional record of the last sign-in', () => {
    expectTypeOf<Express.User>().toEqualTypeOf<{ id: string; lastSignIn?: LastSignIn }>();
    expectTypeOf<Express.User>().not.toHaveProperty('email');
    expectTypeOf<Express.User>().not.toHaveProperty('firstName');
    expectTypeOf<Express.User>().not.toHaveProperty('organizationId');
    expectTypeOf<Request['user']>().toEqualTypeOf<Express.User | undefined>();
  });

  it('is what a profile is, so the default (no onSignIn) fits', () => {
    expectTypeOf<MagicLinkProfile>().toExtend<Express.User>();
  });
});

describe('onSignIn', () => {
  it("may return the app's own user shape", () => {
    const options: MagicLinkOptions = {
      provider: selfHostedProvider(),
      secret: 'types-test-secret-0123456789abcdef0123456789',
      delivery: async () => {},
      onSignIn: (p) => ({ id: p.id, email: p.email }),
    };
    expectTypeOf(options.onSignIn).toEqualTypeOf<OnSignIn | undefined>();
    expectTypeOf<OnSignIn>().parameters.toEqualTypeOf<
      [MagicLinkProfile, IncomingMessage, SignInDetails]
    >();
    const async: OnSignIn = async (p) => (p.email.endsWith('.test') ? { id: p.id } : false);
    const asIs: OnSignIn = (p) => p;
    expect([typeof async, typeof asIs]).toEqual(['function', 'function']);
  });

  it('must return an id, or false', () => {
    // @ts-expect-error an app user without an id cannot be kept in a session
    const noId: OnSignIn = (p) => ({ email: p.email });
    // @ts-expect-error the id is a string
    const numeric: OnSignIn = () => ({ id: 42 });
    // @ts-expect-error true is not a refusal
    const yes: OnSignIn = () => true;
    expect([noId, numeric, yes]).toHaveLength(3);
  });
});

describe('assertSignedIn(req)', () => {
  it('makes req.user set after requireUser(), with Express 5 types kept', () => {
    const app = express();
    app.get('/account/:tab', requireUser(), (req, res) => {
      expectTypeOf(req.user).toEqualTypeOf<Express.User | undefined>();
      assertSignedIn(req);
      expectTypeOf(req.user).toEqualTypeOf<Express.User>();
      expectTypeOf(req.params.tab).toBeString();
      expectTypeOf(res.json).toBeFunction();
      res.json({ id: req.user.id, tab: req.params.tab });
    });
    app.get('/api/me', requireUser({ api: true }), async (req: Request, res: Response) => {
      assertSignedIn(req);
      res.json({ id: req.user.id });
    });
    expect(app).toBeDefined();
  });

  it('works on a bare node:http request too', () => {
    const handle = (req: IncomingMessage) => {
      assertSignedIn(req);
      expectTypeOf(req).toEqualTypeOf<SignedInRequest>();
      return req.user.id;
    };
    expect(typeof handle).toBe('function');
  });
});
