import type { IncomingMessage } from 'node:http';
import { MagicLinkError } from '../../lib/errors';
import { hcaptcha, turnstile } from '../../lib/index';
import type { HumanCheck, HumanVerdict } from '../../lib/index';
import { MAX_ANSWER_BYTES } from '../../lib/human/siteverify';
import { GOOD_SECRET, goodToken, startFakeSiteverify } from '../helpers/siteverify';
import type { FakeSiteverify } from '../helpers/siteverify';

/** A request as the adapters see it: Express has resolved `req.ip`. */
function requestFrom(ip: string): IncomingMessage {
  return { ip, headers: {}, socket: { remoteAddress: '10.9.9.9' } } as unknown as IncomingMessage;
}
const VISITOR_IP = '203.0.113.7';

async function rejection(promise: Promise<unknown>): Promise<MagicLinkError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(MagicLinkError);
  return thrown as MagicLinkError;
}

const SERVICES = [
  {
    name: 'turnstile',
    field: 'cf-turnstile-response',
    replayCode: 'timeout-or-duplicate',
    make: (o: Record<string, unknown>) =>
      turnstile({ secret: GOOD_SECRET, ...o } as Parameters<typeof turnstile>[0]),
  },
  {
    name: 'hcaptcha',
    field: 'h-captcha-response',
    replayCode: 'already-seen-response',
    make: (o: Record<string, unknown>) =>
      hcaptcha({ secret: GOOD_SECRET, ...o } as Parameters<typeof hcaptcha>[0]),
  },
] as const;

describe.each(SERVICES)(
  '$name() against a local siteverify',
  ({ name, field, replayCode, make }) => {
    let fake: FakeSiteverify;
    let check: HumanCheck;
    const ask = (fields: Record<string, string>, ip = VISITOR_IP): Promise<HumanVerdict> =>
      check(requestFrom(ip), fields);

    beforeEach(async () => {
      fake = await startFakeSiteverify(name);
      check = make({ siteverifyUrl: fake.url, timeoutMs: 2_000 });
    });
    afterEach(() => fake.close());

    it('posts a form of secret, response and remoteip, and passes a good token', async () => {
      expect(await ask({ [field]: goodToken(), returnTo: '/x' })).toBe(true);
      expect(fake.requests).toHaveLength(1);
      const [sent] = fake.requests;
      expect(sent!.method).toBe('POST');
      expect(sent!.contentType).toBe('application/x-www-form-urlencoded');
      expect(sent!.fields).toMatchObject({
        secret: GOOD_SECRET,
        response: goodToken(),
        remoteip: VISITOR_IP,
      });
      // Nothing of the visitor's other fields goes to the service.
      expect(sent!.fields.returnTo).toBeUndefined();
      if (name === 'turnstile') {
        expect(sent!.keys.sort()).toEqual(['idempotency_key', 'remoteip', 'response', 'secret']);
        expect(sent!.fields.idempotency_key).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      } else {
        expect(sent!.keys.sort()).toEqual(['remoteip', 'response', 'secret']);
      }
    });

    it('refuses a missing or empty token without calling the service', async () => {
      expect(await ask({})).toEqual({ human: false, reason: 'missing-input-response' });
      expect(await ask({ [field]: '' })).toEqual({
        human: false,
        reason: 'missing-input-response',
      });
      expect(fake.requests).toHaveLength(0);
    });

    it("refuses a bad token, and a replayed one, with the service's code", async () => {
      expect(await ask({ [field]: 'forged' })).toEqual({
        human: false,
        reason: 'invalid-input-response',
      });
      expect(await ask({ [field]: goodToken(1) })).toBe(true);
      expect(await ask({ [field]: goodToken(1) })).toEqual({ human: false, reason: replayCode });
      expect(fake.requests).toHaveLength(3);
    });

    it.each(['expired-input-response', 'invalid-or-already-seen-response', 'some-future-code'])(
      'treats %s as the visitor failing the check',
      async (code) => {
        fake.forceCodes = [code];
        expect(await ask({ [field]: goodToken() })).toEqual({ human: false, reason: code });
      },
    );

    it('leaves remoteip out when req.ip is not an IP address', async () => {
      expect(await ask({ [field]: goodToken() }, 'unknown')).toBe(true);
      expect(fake.requests[0]!.keys).not.toContain('remoteip');
    });

    it('a wrong secret is a configuration error naming the fix, never a pass or a visitor failure', async () => {
      check = make({ siteverifyUrl: fake.url, secret: 'not-the-secret' });
      const err = await rejection(ask({ [field]: goodToken() }));
      expect(err.code).toBe('ERR_HUMAN_CHECK_MISCONFIGURED');
      expect(err.status).toBe(503);
      expect(err.message).toContain('invalid-input-secret');
      expect(err.message).toContain(`${name}({ secret })`);
    });

    it('missing-input-secret is a configuration error too', async () => {
      fake.forceCodes = ['missing-input-secret'];
      expect((await rejection(ask({ [field]: goodToken() }))).code).toBe(
        'ERR_HUMAN_CHECK_MISCONFIGURED',
      );
    });

    it.each(['internal-error', 'bad-request'])(
      '%s means the service failed: unavailable, fail closed',
      async (code) => {
        fake.forceCodes = [code];
        const err = await rejection(ask({ [field]: goodToken() }));
        expect(err.code).toBe('ERR_HUMAN_CHECK_UNAVAILABLE');
        expect(err.message).toContain(code);
      },
    );

    it.each([
      ['http-500', /HTTP 500/],
      ['close', /could not be reached/],
      ['not-json', /not JSON/],
      ['huge', new RegExp(`more than ${MAX_ANSWER_BYTES} bytes`)],
    ] as const)('%s: unavailable, fail closed', async (mode, message) => {
      fake.mode = mode;
      const err = await rejection(ask({ [field]: goodToken() }));
      expect(err.code).toBe('ERR_HUMAN_CHECK_UNAVAILABLE');
      expect(err.message).toMatch(message);
    });

    it('gives up on a service that never answers after timeoutMs', async () => {
      fake.mode = 'hang';
      check = make({ siteverifyUrl: fake.url, timeoutMs: 150 });
      const err = await rejection(ask({ [field]: goodToken() }));
      expect(err.code).toBe('ERR_HUMAN_CHECK_UNAVAILABLE');
      expect(err.message).toContain('did not answer within 150 ms');
      expect(fake.requests).toHaveLength(1);
    });

    it('gives up on an answer that stops half way, after timeoutMs', async () => {
      fake.mode = 'stall-body';
      check = make({ siteverifyUrl: fake.url, timeoutMs: 150 });
      const err = await rejection(ask({ [field]: goodToken() }));
      expect(err.code).toBe('ERR_HUMAN_CHECK_UNAVAILABLE');
      expect(err.message).toContain('within 150 ms');
    });

    it('refuses a token solved on another host name when expectedHostname is set', async () => {
      check = make({ siteverifyUrl: fake.url, expectedHostname: 'app.example.test' });
      expect(await ask({ [field]: goodToken(1) })).toBe(true);
      fake.successFields = { hostname: 'evil.example' };
      expect(await ask({ [field]: goodToken(2) })).toEqual({
        human: false,
        reason: 'hostname-mismatch',
      });
    });

    it('calls the fetch it is given', async () => {
      const urls: string[] = [];
      check = make({
        siteverifyUrl: fake.url,
        fetch: (input: string | URL | Request, init?: RequestInit) => {
          urls.push(String(input));
          return fetch(input, init);
        },
      });
      expect(await ask({ [field]: goodToken() })).toBe(true);
      expect(urls).toEqual([fake.url]);
    });

    it('has a widget only when given a sitekey, with the sitekey escaped', () => {
      expect(make({}).widget).toBeUndefined();
      const widget = make({ sitekey: 'k"<1' }).widget!;
      expect(widget.scriptSrc).toBe(
        name === 'turnstile'
          ? 'https://challenges.cloudflare.com/turnstile/v0/api.js'
          : 'https://js.hcaptcha.com/1/api.js',
      );
      expect(widget.html).toBe(
        `<div class="${name === 'turnstile' ? 'cf-turnstile' : 'h-captcha'}" data-sitekey="k&quot;&lt;1"></div>`,
      );
    });

    it('refuses bad options with a TypeError naming the option and the fix', () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ secret: '' }, new RegExp(`^${name}: secret is required\\. Pass the secret key`)],
        [{ timeoutMs: 0 }, /timeoutMs must be an integer between 1 and 60000/],
        [{ timeoutMs: 1.5 }, /timeoutMs must be an integer/],
        [{ siteverifyUrl: 'ftp://x' }, /siteverifyUrl must be an http\(s\) URL/],
        [{ fetch: 'no' }, /fetch must be a function/],
        [{ sitekey: 3 }, /sitekey must be a non-empty string/],
      ];
      for (const [options, message] of cases) {
        expect(() => make(options)).toThrow(TypeError);
        expect(() => make(options)).toThrow(message);
      }
    });
  },
);

describe('the documented siteverify endpoints', () => {
  it.each([
    ['turnstile', 'https://challenges.cloudflare.com/turnstile/v0/siteverify'],
    ['hcaptcha', 'https://api.hcaptcha.com/siteverify'],
  ] as const)('%s posts to %s by default', async (name, url) => {
    const seen: string[] = [];
    // A fetch that answers itself: nothing leaves the machine.
    const fakeFetch = async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response(JSON.stringify({ success: true, 'error-codes': [] }));
    };
    const check =
      name === 'turnstile'
        ? turnstile({ secret: 's', fetch: fakeFetch })
        : hcaptcha({ secret: 's', fetch: fakeFetch });
    const field = name === 'turnstile' ? 'cf-turnstile-response' : 'h-captcha-response';
    expect(await check(requestFrom(VISITOR_IP), { [field]: 't' })).toBe(true);
    expect(seen).toEqual([url]);
  });
});

describe('turnstile() specifics', () => {
  let fake: FakeSiteverify;
  beforeEach(async () => {
    fake = await startFakeSiteverify('turnstile');
  });
  afterEach(() => fake.close());

  it('refuses a token over 2048 characters without calling the service', async () => {
    const check = turnstile({ secret: GOOD_SECRET, siteverifyUrl: fake.url });
    expect(
      await check(requestFrom(VISITOR_IP), { 'cf-turnstile-response': 'x'.repeat(2049) }),
    ).toEqual({ human: false, reason: 'invalid-input-response' });
    expect(fake.requests).toHaveLength(0);
  });

  it('checks the action, and puts it on the widget', async () => {
    const check = turnstile({
      secret: GOOD_SECRET,
      sitekey: 'site',
      expectedAction: 'magic-link',
      siteverifyUrl: fake.url,
    });
    expect(check.widget!.html).toContain('data-action="magic-link"');
    fake.successFields = { action: 'magic-link' };
    expect(await check(requestFrom(VISITOR_IP), { 'cf-turnstile-response': goodToken(1) })).toBe(
      true,
    );
    fake.successFields = { action: 'other-form' };
    expect(await check(requestFrom(VISITOR_IP), { 'cf-turnstile-response': goodToken(2) })).toEqual(
      { human: false, reason: 'action-mismatch' },
    );
  });

  it('sends a fresh idempotency key each time', async () => {
    const check = turnstile({ secret: GOOD_SECRET, siteverifyUrl: fake.url });
    await check(requestFrom(VISITOR_IP), { 'cf-turnstile-response': goodToken(1) });
    await check(requestFrom(VISITOR_IP), { 'cf-turnstile-response': goodToken(2) });
    const [a, b] = fake.requests.map((r) => r.fields.idempotency_key);
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });
});

describe('hcaptcha() specifics', () => {
  let fake: FakeSiteverify;
  beforeEach(async () => {
    fake = await startFakeSiteverify('hcaptcha');
  });
  afterEach(() => fake.close());

  it('sends the sitekey, and a sitekey-secret mismatch is a configuration error', async () => {
    const good = hcaptcha({
      secret: GOOD_SECRET,
      sitekey: 'good-sitekey',
      siteverifyUrl: fake.url,
    });
    expect(await good(requestFrom(VISITOR_IP), { 'h-captcha-response': goodToken(1) })).toBe(true);
    expect(fake.requests[0]!.fields.sitekey).toBe('good-sitekey');

    const wrong = hcaptcha({ secret: GOOD_SECRET, sitekey: 'other', siteverifyUrl: fake.url });
    const err = await rejection(
      wrong(requestFrom(VISITOR_IP), { 'h-captcha-response': goodToken(2) }),
    );
    expect(err.code).toBe('ERR_HUMAN_CHECK_MISCONFIGURED');
    expect(err.message).toContain('sitekey-secret-mismatch');
  });

  it.each(['not-using-dummy-passcode', 'missing-remoteip', 'invalid-remoteip'])(
    '%s is a configuration error',
    async (code) => {
      fake.forceCodes = [code];
      const check = hcaptcha({ secret: GOOD_SECRET, siteverifyUrl: fake.url });
      const err = await rejection(
        check(requestFrom(VISITOR_IP), { 'h-captcha-response': goodToken() }),
      );
      expect(err.code).toBe('ERR_HUMAN_CHECK_MISCONFIGURED');
      expect(err.message).toContain(code);
    },
  );
});
