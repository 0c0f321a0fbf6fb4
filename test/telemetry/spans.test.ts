import * as api from '@opentelemetry/api';
import request from 'supertest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { openTelemetry, turnstile } from '../../lib/index';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { countOf, pointsOf, registerOtel, SERVER_SPAN, switchableStore } from '../helpers/otel';
import type { TestOtel } from '../helpers/otel';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { GOOD_SECRET, goodToken, startFakeSiteverify } from '../helpers/siteverify';
import type { FakeSiteverify } from '../helpers/siteverify';

// OpenTelemetry through the app's own @opentelemetry/api, with the in-memory SDK registered
// globally: one span per route under the app's server span, client spans for the provider,
// the store, the mailer and siteverify, a linked span for each send after the answer, and the
// metrics.

const CLIENT = api.SpanKind.CLIENT;
let otel: TestOtel;

beforeAll(() => {
  otel = registerOtel();
});
afterAll(async () => {
  await otel.shutdown();
});

function named(name: string, since = 0): ReadableSpan[] {
  return otel
    .ours()
    .slice(since)
    .filter((s) => s.name === name);
}
function only(name: string, since = 0): ReadableSpan {
  const found = named(name, since);
  if (found.length !== 1)
    throw new Error(
      `${found.length} spans named ${name}; ours: ${otel
        .ours()
        .slice(since)
        .map((s) => s.name)
        .join(', ')}`,
    );
  return found[0]!;
}
const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const childrenOf = (parent: ReadableSpan, since = 0) =>
  otel
    .ours()
    .slice(since)
    .filter((s) => s.parentSpanContext?.spanId === idOf(parent));

describe('telemetry, self-hosted with our email', () => {
  let t: TestApp;
  const storage = switchableStore();

  beforeAll(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      store: storage.store,
      first: [otel.serverSpan],
      router: { telemetry: openTelemetry(api) },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a sign-in by link: route spans under the server span, a linked send span, client spans', async () => {
    const since = otel.ours().length;
    const agent = request.agent(t.url);
    await askForLink(agent, 'alice@example.com');
    const { link } = await nextEmail(t, 'alice@example.com');
    await t.settled();

    const ask = only('magic_link POST /auth/magic-link', since);
    const server = otel.spans
      .getFinishedSpans()
      .find((s) => s.name === SERVER_SPAN && idOf(s) === ask.parentSpanContext?.spanId);
    expect(server).toBeDefined();
    expect(ask.attributes).toEqual({
      'magic_link.route': 'POST /auth/magic-link',
      'http.route': '/auth/magic-link',
      'http.request.method': 'POST',
      'http.response.status_code': 303,
      'magic_link.provider': 'self-hosted',
      'magic_link.cross_device': 'relay',
      'magic_link.outcome': 'sent',
    });
    // The rate limits counted the request in the store (one batch), inside the route's span.
    expect(childrenOf(ask, since).map((s) => s.name)).toContain('magic_link store increment_many');

    const send = only('magic_link send', since);
    expect(send.parentSpanContext).toBeUndefined();
    expect(send.links.map((l) => l.context.spanId)).toEqual([idOf(ask)]);
    expect(send.attributes['magic_link.outcome']).toBe('sent');
    const sent = childrenOf(send, since);
    const start = sent.find((s) => s.name === 'magic_link provider start')!;
    expect(start.kind).toBe(CLIENT);
    expect(start.attributes).toEqual({
      'magic_link.provider': 'self-hosted',
      'magic_link.operation': 'start',
    });
    const mail = sent.find((s) => s.name === 'magic_link mail send')!;
    expect(mail.kind).toBe(CLIENT);
    expect(mail.links.map((l) => l.context.spanId)).toEqual([idOf(ask)]);
    expect(sent.some((s) => s.name === 'magic_link store set')).toBe(true);

    const before = otel.ours().length;
    const landed = await agent.get(pathOf(link));
    expect(landed.status).toBe(303);
    const callback = only('magic_link GET /auth/callback', before);
    expect(callback.attributes).toMatchObject({
      'magic_link.outcome': 'signed_in',
      'magic_link.method': 'link',
      'http.response.status_code': 303,
    });
    expect(childrenOf(callback, before).map((s) => s.name)).toContain('magic_link provider finish');

    const metrics = await otel.metrics();
    expect(countOf(metrics, 'magic_link.links.sent')).toBeGreaterThanOrEqual(1);
    expect(countOf(metrics, 'magic_link.sign_ins', { 'magic_link.method': 'link' })).toBe(1);
    for (const [name, unit] of [
      ['magic_link.store.duration', 's'],
      ['magic_link.provider.duration', 's'],
      ['magic_link.mail.duration', 's'],
      ['magic_link.links.sent', '{link}'],
    ] as const) {
      const metric = metrics.find((m) => m.descriptor.name === name);
      expect(metric?.descriptor.unit).toBe(unit);
    }
    const providerOps = pointsOf(metrics, 'magic_link.provider.duration').map(
      (p) => p.attributes['magic_link.operation'],
    );
    expect(providerOps).toEqual(expect.arrayContaining(['start', 'finish']));
  });

  it('the relay: relay_required in the other browser, signed_in by relay in the one that asked', async () => {
    const asker = request.agent(t.url);
    await askForLink(asker, 'bob@example.com');
    const { link } = await nextEmail(t, 'bob@example.com');
    await t.settled();
    const since = otel.ours().length;
    const other = await request(t.url).get(pathOf(link)).set('Accept', 'application/json');
    expect(other.body.status).toBe('relay_required');
    expect(only('magic_link GET /auth/callback', since).attributes).toMatchObject({
      'magic_link.outcome': 'relay_required',
      'magic_link.open.via': 'callback',
      'magic_link.open.classification': expect.any(String),
    });
    const typed = await asker
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: other.body.code as string });
    expect(typed.status).toBe(303);
    expect(only('magic_link POST /auth/magic-link/verify', since).attributes).toMatchObject({
      'magic_link.outcome': 'signed_in',
      'magic_link.method': 'relay',
    });
    const metrics = await otel.metrics();
    expect(countOf(metrics, 'magic_link.sign_ins', { 'magic_link.method': 'relay' })).toBe(1);
  });

  it("the email's code: signed_in by code", async () => {
    const agent = request.agent(t.url);
    await askForLink(agent, 'carol@example.com');
    const { code } = await nextEmail(t, 'carol@example.com');
    const since = otel.ours().length;
    const res = await agent.post('/auth/magic-link/verify').type('form').send({ code });
    expect(res.status).toBe(303);
    expect(only('magic_link POST /auth/magic-link/verify', since).attributes).toMatchObject({
      'magic_link.outcome': 'signed_in',
      'magic_link.method': 'code',
    });
  });

  it('a refusal: outcome refused, the ERR_* code, counted by reason', async () => {
    const since = otel.ours().length;
    const res = await request(t.url).post('/auth/magic-link').type('form').send({ email: 'nope' });
    expect(res.status).toBe(400);
    const span = only('magic_link POST /auth/magic-link', since);
    expect(span.attributes).toMatchObject({
      'magic_link.outcome': 'refused',
      'error.type': 'ERR_BAD_EMAIL',
    });
    expect(span.status.code).toBe(api.SpanStatusCode.UNSET);
    const metrics = await otel.metrics();
    expect(countOf(metrics, 'magic_link.refusals', { 'magic_link.reason': 'ERR_BAD_EMAIL' })).toBe(
      1,
    );
  });

  it('the store down: 503, the route span in error, the store span in error, a store failure counted', async () => {
    const since = otel.ours().length;
    storage.down(true);
    try {
      const res = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'dave@example.com' });
      expect(res.status).toBe(503);
    } finally {
      storage.down(false);
    }
    const span = only('magic_link POST /auth/magic-link', since);
    expect(span.attributes).toMatchObject({
      'magic_link.outcome': 'failed',
      'error.type': 'ERR_STORE_UNAVAILABLE',
    });
    expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
    const failedStore = childrenOf(span, since).find((s) => s.name.startsWith('magic_link store'));
    expect(failedStore?.status).toEqual({
      code: api.SpanStatusCode.ERROR,
      message: 'ERR_STORE_UNAVAILABLE',
    });
    expect(failedStore?.events).toEqual([]);
    const metrics = await otel.metrics();
    expect(
      countOf(metrics, 'magic_link.store.failures', { 'error.type': 'ERR_STORE_UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('telemetry, WorkOS with a failing provider', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      provider: 'workos',
      first: [otel.serverSpan],
      router: { telemetry: openTelemetry(api), crossDevice: 'confirm' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a provider 500 after the answer: the send span and the provider span in error', async () => {
    const since = otel.ours().length;
    t.emulator!.failNext(1, 500);
    await askForLink(request.agent(t.url), 'erin@example.com');
    await t.settled();
    expect(only('magic_link POST /auth/magic-link', since).attributes).toMatchObject({
      'magic_link.provider': 'workos',
      'magic_link.cross_device': 'confirm',
      'magic_link.outcome': 'sent',
    });
    const send = only('magic_link send', since);
    expect(send.attributes).toMatchObject({
      'magic_link.outcome': 'failed',
      'error.type': 'ERR_PROVIDER_UNAVAILABLE',
    });
    expect(send.status.code).toBe(api.SpanStatusCode.ERROR);
    const start = only('magic_link provider start', since);
    expect(start.parentSpanContext?.spanId).toBe(idOf(send));
    expect(start.status.code).toBe(api.SpanStatusCode.ERROR);
    const metrics = await otel.metrics();
    const failed = pointsOf(metrics, 'magic_link.provider.duration').filter(
      (p) =>
        p.attributes['magic_link.operation'] === 'start' &&
        p.attributes['error.type'] === 'ERR_PROVIDER_UNAVAILABLE',
    );
    expect(failed).toHaveLength(1);
  });
});

describe('telemetry, the human check', () => {
  let t: TestApp;
  let fake: FakeSiteverify;
  beforeAll(async () => {
    fake = await startFakeSiteverify('turnstile');
    t = await createTestApp({
      provider: 'self-hosted',
      first: [otel.serverSpan],
      router: {
        telemetry: openTelemetry(api),
        verifyHuman: turnstile({
          secret: GOOD_SECRET,
          sitekey: 'good-sitekey',
          siteverifyUrl: fake.url,
        }),
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('siteverify gets a client span under the route span: human, then not human', async () => {
    const since = otel.ours().length;
    const ok = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'frank@example.com', 'cf-turnstile-response': goodToken(1) });
    expect(ok.status).toBe(303);
    const bad = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'frank@example.com', 'cf-turnstile-response': 'bad-token' });
    expect(bad.status).toBe(400);
    await t.settled();
    const routes = named('magic_link POST /auth/magic-link', since);
    const checks = named('magic_link siteverify', since);
    expect(checks.map((s) => s.parentSpanContext?.spanId)).toEqual(routes.map(idOf));
    expect(checks.map((s) => s.attributes)).toEqual([
      { 'magic_link.human_check.service': 'turnstile', 'magic_link.human_check.outcome': 'human' },
      {
        'magic_link.human_check.service': 'turnstile',
        'magic_link.human_check.outcome': 'not_human',
      },
    ]);
    expect(checks.every((s) => s.kind === CLIENT)).toBe(true);
    expect(routes[1]!.attributes).toMatchObject({
      'magic_link.outcome': 'refused',
      'error.type': 'ERR_HUMAN_CHECK_FAILED',
    });
    const metrics = await otel.metrics();
    expect(pointsOf(metrics, 'magic_link.human_check.duration').length).toBeGreaterThan(0);
  });
});
