import * as api from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import request from 'supertest';
import { magicLinkRouter, openTelemetry, selfHostedProvider } from '../../lib/index';
import type { OpenTelemetryApi } from '../../lib/index';
import { createTestApp, pathOf, TEST_SECRET } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { resolveOptions } from '../../lib/resolve-options';
import { NO_INSTRUMENTATION } from '../../lib/telemetry/instrumentation';
import { registerOtel } from '../helpers/otel';
import type { TestOtel } from '../helpers/otel';
import { askForLink, nextEmail } from '../helpers/sign-in';

// Telemetry stays out of the way: wired with no SDK registered, the sign-in works and nothing is
// recorded (until an SDK is registered); with an SDK registered but no `telemetry` option, the
// package makes no span and no metric.

async function signIn(t: TestApp, email: string): Promise<void> {
  const agent = request.agent(t.url);
  await askForLink(agent, email);
  const { link } = await nextEmail(t, email);
  await t.settled();
  const landed = await agent.get(pathOf(link));
  expect(landed.status).toBe(303);
  expect((await agent.get('/account').set('Accept', 'application/json')).body.email).toBe(email);
}

describe('telemetry wired, no SDK registered', () => {
  let t: TestApp;
  let otel: TestOtel | null = null;
  beforeAll(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      router: { telemetry: openTelemetry(api) },
    });
  });
  afterAll(async () => {
    await t.close();
    await otel?.shutdown();
  });

  it('signs in without an error or an event beyond the usual, and records nothing until an SDK is registered', async () => {
    await signIn(t, 'nosdk@example.com');
    const bad = await request(t.url).post('/auth/magic-link').type('form').send({ email: 'x' });
    expect(bad.status).toBe(400);
    expect(t.events.map((e) => e.type)).toEqual(['link_sent', 'sign_in', 'sign_in_failed']);
    // Registered now: the spans of the requests above went nowhere; the next request's arrive
    // (the tracer is the API's proxy, which follows a provider registered later).
    otel = registerOtel();
    expect(otel.ours()).toEqual([]);
    await request(t.url).get('/auth/magic-link');
    expect(otel.ours().map((s) => s.name)).toEqual(['magic_link GET /auth/magic-link']);
  });
});

describe('SDK registered, no telemetry option', () => {
  let t: TestApp;
  let otel: TestOtel;
  beforeAll(async () => {
    otel = registerOtel();
    t = await createTestApp({ provider: 'self-hosted', first: [otel.serverSpan] });
  });
  afterAll(async () => {
    await t.close();
    await otel.shutdown();
  });

  it('makes no span and no metric of its own', async () => {
    await signIn(t, 'off@example.com');
    await request(t.url).post('/auth/magic-link').type('form').send({ email: 'x' });
    // The app's own server spans are there: the SDK works, and it is the package that is quiet.
    expect(otel.spans.getFinishedSpans().length).toBeGreaterThanOrEqual(4);
    expect(otel.ours()).toEqual([]);
    expect(await otel.metrics()).toEqual([]);
  });
});

describe('decided at setup', () => {
  const base = {
    provider: selfHostedProvider(),
    secret: TEST_SECRET,
    delivery: async () => {},
    verifyHuman: async () => true,
    humanCheckWidget: false as const,
  };

  it('without the option, nothing is wrapped: the same functions as before, no decorators', () => {
    const o = resolveOptions(base);
    expect(o.instrumentation).toBe(NO_INSTRUMENTATION);
    expect(o.delivery).toBe(base.delivery);
    expect(o.verifyHuman).toBe(base.verifyHuman);
    const store = {
      get: jest.fn(),
      set: jest.fn(),
      take: jest.fn(),
      increment: jest.fn(),
      delete: jest.fn(),
    };
    expect(NO_INSTRUMENTATION.store(store)).toBe(store);
  });

  it('with the option, the delivery, human check and store are decorated', () => {
    const o = resolveOptions({ ...base, telemetry: openTelemetry(api) });
    expect(o.instrumentation.enabled).toBe(true);
    expect(o.delivery).not.toBe(base.delivery);
    expect(o.verifyHuman).not.toBe(base.verifyHuman);
  });
});

describe('providers given to openTelemetry()', () => {
  let t: TestApp;
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metrics,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  beforeAll(async () => {
    t = await createTestApp({
      provider: 'self-hosted',
      router: { telemetry: openTelemetry(api, { tracerProvider, meterProvider }) },
    });
  });
  afterAll(async () => {
    await t.close();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });

  it('records there, with nothing registered globally', async () => {
    await signIn(t, 'own@example.com');
    const names = spans.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'magic_link POST /auth/magic-link',
        'magic_link send',
        'magic_link GET /auth/callback',
      ]),
    );
    await reader.forceFlush();
    const exported = metrics
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics)
      .map((m) => m.descriptor.name);
    expect(exported).toEqual(
      expect.arrayContaining(['magic_link.links.sent', 'magic_link.sign_ins']),
    );
  });
});

describe('setup errors', () => {
  it('openTelemetry() without the API module names the fix', () => {
    expect(() => openTelemetry({} as OpenTelemetryApi)).toThrow(
      new TypeError(
        "openTelemetry: api.trace is missing. Pass the API module itself: import * as api from '@opentelemetry/api'; openTelemetry(api).",
      ),
    );
    expect(() => openTelemetry(api, { meterProvider: {} as never })).toThrow(
      /^openTelemetry: meterProvider must have getMeter\(\)/,
    );
  });

  it('magicLinkRouter() refuses a telemetry option that openTelemetry() did not make', () => {
    expect(() =>
      magicLinkRouter({
        provider: selfHostedProvider(),
        secret: TEST_SECRET,
        delivery: async () => {},
        telemetry: { kind: 'opentelemetry' },
      }),
    ).toThrow(/^magicLinkRouter: telemetry must be what openTelemetry\(api\) returns\. /);
  });
});
