import { Agent } from 'node:http';
import * as api from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import fc from 'fast-check';
import request from 'supertest';
import { openTelemetry } from '../../lib/index';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { registerOtel, switchableStore } from '../helpers/otel';
import type { TestOtel } from '../helpers/otel';
import { askForLink, formOf, nextEmail } from '../helpers/sign-in';
import { requestArbitraries, send } from '../fuzz/arbitraries';
import type { Pool } from '../fuzz/arbitraries';

// Never personal data in telemetry (threat model: no address, code, token, cookie, state or IP
// in an event, log or telemetry). A whole run (sign-ins by link, code and relay, a provider 500,
// the store down, and fuzzed hostile requests) is recorded with the in-memory SDK; then every
// span name, attribute, status message, span event, link attribute and metric point attribute
// is checked three ways: its key is one we document, its value fits that key's closed set, and
// no value the run handled (addresses, codes, tokens, states, nonces, cookies, IPs) appears in it.

const FUZZ_RUNS = 300;
const PROPERTY_TIMEOUT_MS = 10 * 60_000;

const OUTCOMES = [
  'sent',
  'signed_in',
  'relay_required',
  'confirmation_required',
  'redirected',
  'refused',
  'failed',
  'page',
  'done',
  'signed_out',
  'not_allowed',
  'provider_refused',
];
const ROUTE_PATH = /^\/auth\/(?:magic-link(?:\/(?:sent|verify|resend|open))?|callback|logout)$/;
const ERROR_TYPE = /^(?:ERR_[A-Z_]+|_OTHER)$/;
const oneOf = (values: readonly string[]) => (v: unknown) => values.includes(v as string);
const matches = (re: RegExp) => (v: unknown) => typeof v === 'string' && re.test(v);

/** Every attribute key the package may set, and what its value may be. */
const ALLOWED: Record<string, (value: unknown) => boolean> = {
  'magic_link.route': (v) =>
    typeof v === 'string' &&
    /^(?:GET|HEAD|POST|_OTHER) /.test(v) &&
    ROUTE_PATH.test(v.slice(v.indexOf(' ') + 1)),
  'http.route': matches(ROUTE_PATH),
  'http.request.method': oneOf(['GET', 'HEAD', 'POST', '_OTHER']),
  'http.response.status_code': (v) => Number.isInteger(v),
  'magic_link.provider': oneOf(['self-hosted', 'workos']),
  'magic_link.cross_device': oneOf(['relay', 'confirm', 'deny']),
  'magic_link.outcome': oneOf(OUTCOMES),
  'magic_link.method': oneOf(['link', 'code', 'relay', 'confirmed', 'passkey']),
  'magic_link.operation': oneOf([
    'get',
    'set',
    'take',
    'set_many',
    'increment',
    'increment_many',
    'delete',
    'start',
    'finish',
    'verify_code',
    'follow',
  ]),
  'error.type': matches(ERROR_TYPE),
  'magic_link.reason': (v) =>
    matches(ERROR_TYPE)(v) || oneOf(['not_allowed', 'provider_refused'])(v),
  'magic_link.open.via': oneOf(['callback', 'wrapped']),
  'magic_link.open.classification': oneOf(['head', 'scanner', 'quick', 'probe', 'browser']),
  'magic_link.rate_limit.scope': oneOf(['email', 'ip', 'binding']),
  'magic_link.human_check.service': oneOf(['turnstile', 'hcaptcha', 'custom']),
  'magic_link.human_check.outcome': oneOf(['human', 'not_human']),
};
const SPAN_NAME =
  /^magic_link (?:(?:GET|HEAD|POST|_OTHER) \/auth\/[a-z/-]+|send|store [a-z_]+|provider [a-z_]+|mail send|siteverify|verify_human)$/;

/** Shapes of personal data, for values the run did not hand us (the fuzzer's). */
const PATTERNS: [string, RegExp][] = [
  ['an address', /@|＠/],
  ['an IPv4 address', /\b\d{1,3}(?:\.\d{1,3}){3}\b/],
  ['an IPv6 address', /(?:[0-9a-f]{1,4}:){2,}|::1\b|::ffff/i],
  ['a 6-digit code', /(?:^|\D)\d{6}(?:\D|$)/],
  ['a token or state', /(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[a-z])[A-Za-z0-9_-]{16,}/],
];

let otel: TestOtel;
/** Every address, token, code, state, nonce, cookie value and IP the run handled. */
const secrets = new Set<string>(['127.0.0.1', '::ffff:127.0.0.1', '::1']);
function keep(...values: (string | null | undefined)[]): void {
  for (const v of values) {
    if (v && v.length >= 4) {
      secrets.add(v);
      secrets.add(v.toLowerCase());
      secrets.add(encodeURIComponent(v));
    }
  }
}
function keepCookies(res: { headers: Record<string, unknown> }): void {
  const lines = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  for (const line of lines) keep(line.split(';')[0]!.split('=').slice(1).join('='));
}
function keepLink(link: string): void {
  keep(link);
  for (const [, value] of new URL(link).searchParams) keep(value);
}

beforeAll(() => {
  otel = registerOtel();
});
afterAll(async () => {
  await otel.shutdown();
});

describe('no personal data in telemetry, over a whole run', () => {
  let selfHosted: TestApp;
  let workos: TestApp;
  const storage = switchableStore();
  const pool: Pool = { states: [], nonces: [] };

  beforeAll(async () => {
    selfHosted = await createTestApp({
      provider: 'self-hosted',
      store: storage.store,
      first: [otel.serverSpan],
      router: { telemetry: openTelemetry(api) },
    });
    workos = await createTestApp({
      provider: 'workos',
      delivery: 'smtp',
      first: [otel.serverSpan],
      router: { telemetry: openTelemetry(api), crossDevice: 'confirm' },
    });
  });
  afterAll(async () => {
    await selfHosted.close();
    await workos.close();
  });

  it('records sign-ins by link, code and relay, a provider 500 and the store down', async () => {
    const t = selfHosted;
    // By link.
    const alice = request.agent(t.url);
    keep('Alice.Privacy@Example.com');
    keepCookies(await askForLink(alice, 'Alice.Privacy@Example.com'));
    const first = await nextEmail(t, 'Alice.Privacy@Example.com');
    keepLink(first.link);
    keep(first.code);
    keepCookies(await alice.get(pathOf(first.link)));
    // By code.
    const bob = request.agent(t.url);
    keep('bob.privacy@example.com');
    const asked = await askForLink(bob, 'bob.privacy@example.com');
    keepCookies(asked);
    pool.nonces.push(
      /^mlink=([^;]+)/.exec((asked.headers['set-cookie'] as unknown as string[])[0]!)![1]!,
    );
    const second = await nextEmail(t, 'bob.privacy@example.com');
    keepLink(second.link);
    keep(second.code);
    pool.states.push(new URL(second.link).searchParams.get('state')!);
    keepCookies(await bob.post('/auth/magic-link/verify').type('form').send({ code: second.code }));
    // By relay: another browser opens the link, the one that asked types its code.
    const carol = request.agent(t.url);
    keep('carol.privacy@example.com');
    keepCookies(await askForLink(carol, 'carol.privacy@example.com'));
    const third = await nextEmail(t, 'carol.privacy@example.com');
    keepLink(third.link);
    keep(third.code);
    const elsewhere = await request(t.url)
      .get(pathOf(third.link))
      .set('Accept', 'application/json');
    expect(elsewhere.body.status).toBe('relay_required');
    keep(elsewhere.body.code as string);
    keepCookies(
      await carol.post('/auth/magic-link/verify').type('form').send({ code: elsewhere.body.code }),
    );
    // Wrong codes, a bad address, the store down.
    await carol.post('/auth/magic-link/verify').type('form').send({ code: '000000' });
    await request(t.url).post('/auth/magic-link').type('form').send({ email: 'not an address' });
    storage.down(true);
    keep('dave.privacy@example.com');
    try {
      const down = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'dave.privacy@example.com' });
      expect(down.status).toBe(503);
    } finally {
      storage.down(false);
    }
    // WorkOS: a provider 500 after the answer, then a wrapped link opened here and elsewhere.
    workos.emulator!.failNext(1, 500);
    keep('erin.privacy@example.com', 'frank.privacy@example.com');
    await askForLink(request.agent(workos.url), 'erin.privacy@example.com');
    const frank = request.agent(workos.url);
    keepCookies(await askForLink(frank, 'frank.privacy@example.com'));
    const wrapped = await nextEmail(workos, 'frank.privacy@example.com');
    keepLink(wrapped.link);
    await request(workos.url).get(pathOf(wrapped.link)).set('Accept', 'application/json');
    const onward = await frank.get(pathOf(wrapped.link));
    const providerLink = onward.headers.location as string;
    keepLink(providerLink);
    const back = await follow(providerLink);
    keepLink(back);
    keepCookies(await frank.get(pathOf(back)));
    // Another browser confirms a wrapped link: the provider's link is followed server-side.
    keep('gina.privacy@example.com');
    await askForLink(request.agent(workos.url), 'gina.privacy@example.com');
    const ginas = await nextEmail(workos, 'gina.privacy@example.com');
    keepLink(ginas.link);
    const other = request.agent(workos.url);
    const page = await other.get(pathOf(ginas.link));
    const form = formOf(page.text);
    for (const value of Object.values(form.fields)) keep(value);
    keepCookies(await other.post(form.action).type('form').send(form.fields));
    await selfHosted.settled();
    await workos.settled();
    for (const e of [...selfHosted.events, ...workos.events]) {
      if (e.type === 'sign_in') keep(e.userId);
    }
    expect(selfHosted.events.filter((e) => e.type === 'sign_in')).toHaveLength(3);
    expect(workos.events.filter((e) => e.type === 'sign_in')).toHaveLength(2);
    expect(workos.events.some((e) => e.type === 'provider_error')).toBe(true);
  });

  it(
    `records ${FUZZ_RUNS} fuzzed hostile requests`,
    async () => {
      const port = Number(new URL(selfHosted.url).port);
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const { broad } = requestArbitraries(selfHosted.url, pool);
        await fc.assert(
          fc.asyncProperty(broad, async (r) => {
            const res = await send(port, agent, r);
            expect(res.status).toBeLessThan(500);
          }),
          { numRuns: FUZZ_RUNS },
        );
      } finally {
        agent.destroy();
      }
      await selfHosted.settled();
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('every name, attribute, event, link and metric point of the run is free of personal data', async () => {
    const problems: string[] = [];
    const checked = { attributes: 0, spans: 0, points: 0 };
    function text(where: string, value: string): void {
      for (const secret of secrets)
        if (value.includes(secret)) problems.push(`${where}: contains ${JSON.stringify(secret)}`);
      for (const [what, re] of PATTERNS)
        if (re.test(value)) problems.push(`${where}: looks like ${what}: ${JSON.stringify(value)}`);
    }
    function attributes(where: string, attrs: Attributes | undefined): void {
      for (const [key, value] of Object.entries(attrs ?? {})) {
        checked.attributes += 1;
        const allowed = ALLOWED[key];
        if (!allowed) problems.push(`${where}: undocumented attribute ${key}`);
        else if (!allowed(value))
          problems.push(`${where}: ${key} = ${JSON.stringify(value)} is outside its closed set`);
        text(`${where} ${key}`, String(value));
      }
    }
    for (const span of otel.ours()) {
      checked.spans += 1;
      const where = `span ${span.name}`;
      if (!SPAN_NAME.test(span.name)) problems.push(`${where}: unexpected name`);
      text(where, span.name);
      attributes(where, span.attributes);
      if (span.status.message !== undefined) {
        if (!ERROR_TYPE.test(span.status.message))
          problems.push(`${where}: status message ${span.status.message}`);
        text(`${where} status`, span.status.message);
      }
      for (const event of span.events) {
        text(`${where} event`, event.name);
        attributes(`${where} event ${event.name}`, event.attributes);
      }
      for (const link of span.links) attributes(`${where} link`, link.attributes);
    }
    for (const metric of await otel.metrics()) {
      text('metric name', metric.descriptor.name);
      for (const point of metric.dataPoints) {
        checked.points += 1;
        attributes(`metric ${metric.descriptor.name}`, point.attributes);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    // The walk saw a whole run: every kind of span, and the fuzzer's requests.
    const names = new Set(otel.ours().map((s) => s.name));
    for (const name of [
      'magic_link POST /auth/magic-link',
      'magic_link GET /auth/callback',
      'magic_link POST /auth/magic-link/verify',
      'magic_link GET /auth/magic-link/open',
      'magic_link send',
      'magic_link provider start',
      'magic_link provider finish',
      'magic_link provider follow',
      'magic_link mail send',
      'magic_link store increment',
    ])
      expect(names).toContain(name);
    expect(checked.spans).toBeGreaterThan(FUZZ_RUNS);
    expect(checked.points).toBeGreaterThan(10);
    expect(secrets.size).toBeGreaterThan(30);
  });
});
