import { performance } from 'node:perf_hooks';
import { MagicLinkError } from '../errors';
import type { HumanVerdict, VerifyHuman } from '../human/types';
import { HUMAN_CHECK_SERVICE } from '../human/siteverify';
import type { Provider } from '../providers/provider';
import type { Store } from '../stores/store';
import { ATTR, SPAN_KIND, STATUS_ERROR } from './names';
import type { Instruments } from './names';
import type {
  OpenTelemetryApi,
  OtelAttributes,
  OtelHistogram,
  OtelSpan,
  OtelSpanContext,
  OtelSpanOptions,
  OtelTracer,
} from './otel-api';

/** What the decorators of one router share. */
export interface Tel {
  api: OpenTelemetryApi;
  tracer: OtelTracer;
  m: Instruments;
  /** On every route span: the provider's name and the crossDevice mode. */
  base: OtelAttributes;
  /** The provider's name, for its calls. */
  provider: OtelAttributes;
  /**
   * A meter provider was registered: latencies are worth timing. Decided at setup; without it,
   * a call whose span records nothing costs a span start and nothing else.
   */
  metered: boolean;
}

/**
 * One route's request, or one background send: its span and what was reported about it. Kept in
 * the OpenTelemetry context under {@link RUN}, so events and outcomes reach the right span.
 */
export interface Run {
  span: OtelSpan;
  outcome: string | null;
  errorType: string | null;
  /** A 5xx or an unexpected error: the span's status becomes ERROR. */
  failed: boolean;
  /** A background send, not a request. */
  background: boolean;
  /** For a background send: the span of the request that started it, to link to. */
  request: OtelSpanContext | null;
}

/** The context key of the current {@link Run}. */
export const RUN = Symbol('express-magic-link.telemetry.run');

/** The run (route request or background send) the active context belongs to, if any. */
export function currentRun(tel: Tel): Run | undefined {
  return tel.api.context.active().getValue(RUN) as Run | undefined;
}

/** The `error.type` of a failure: our `ERR_*` code, never a message (it may name an address). */
export function errorTypeOf(err: unknown): string {
  return err instanceof MagicLinkError ? err.code : '_OTHER';
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * A client span and a latency point around one call. The call runs with the span active, so an
 * HTTP or Redis instrumentation the app has nests its own spans under it. On failure: `error.type`
 * (no message, no stack: either may carry an address), status ERROR, and `onFailure`.
 */
function clientCall<T>(
  tel: Tel,
  name: string,
  attributes: OtelAttributes,
  histogram: OtelHistogram,
  call: () => Promise<T>,
  hooks: {
    links?: OtelSpanOptions['links'];
    onResult?: (span: OtelSpan, value: T) => void;
    onFailure?: (type: string) => void;
  } = {},
): Promise<T> {
  const { api, tracer } = tel;
  const options: OtelSpanOptions = { kind: SPAN_KIND.client, attributes };
  if (hooks.links) options.links = hooks.links;
  const span = tracer.startSpan(name, options);
  const recording = span.isRecording();
  if (!recording && !tel.metered) {
    span.end();
    return call();
  }
  const started = performance.now();
  let pending: Promise<T>;
  try {
    // A span that records nothing (sampled out) has no children to adopt.
    pending = recording
      ? api.context.with(api.trace.setSpan(api.context.active(), span), call)
      : call();
  } catch (err) {
    pending = Promise.reject(err);
  }
  return Promise.resolve(pending).then(
    (value) => {
      histogram.record(seconds(started), attributes);
      if (hooks.onResult && span.isRecording()) hooks.onResult(span, value);
      span.end();
      return value;
    },
    (err: unknown) => {
      const type = errorTypeOf(err);
      histogram.record(seconds(started), { ...attributes, [ATTR.errorType]: type });
      span.setAttribute(ATTR.errorType, type);
      span.setStatus({ code: STATUS_ERROR, message: type });
      span.end();
      hooks.onFailure?.(type);
      throw err;
    },
  );
}

const STORE_OPERATIONS = [
  'get',
  'set',
  'set_many',
  'take',
  'increment',
  'increment_many',
  'delete',
] as const;

/** A span `magic_link store <operation>` per call; failures counted by operation and code. */
export function instrumentStore(tel: Tel, store: Store): Store {
  const attrs = Object.fromEntries(
    STORE_OPERATIONS.map((op) => [op, { [ATTR.operation]: op } as OtelAttributes]),
  ) as Record<(typeof STORE_OPERATIONS)[number], OtelAttributes>;
  const call = <T>(op: (typeof STORE_OPERATIONS)[number], run: () => Promise<T>) =>
    clientCall(tel, `magic_link store ${op}`, attrs[op], tel.m.storeDuration, run, {
      onFailure: (type) => tel.m.storeFailures.add(1, { ...attrs[op], [ATTR.errorType]: type }),
    });
  const wrapped: Store = {
    get: (key) => call('get', () => store.get(key)),
    set: (key, value, ttl) => call('set', () => store.set(key, value, ttl)),
    take: (key) => call('take', () => store.take(key)),
    increment: (key, ttl) => call('increment', () => store.increment(key, ttl)),
    delete: (key) => call('delete', () => store.delete(key)),
  };
  // One span for a batch: it is one round trip. A store without setMany keeps none, so the
  // guard's one-set-after-another fallback still applies (and each set gets its own span).
  if (typeof store.setMany === 'function')
    wrapped.setMany = (entries) => call('set_many', () => store.setMany!(entries));
  if (typeof store.incrementMany === 'function')
    wrapped.incrementMany = (counters) =>
      call('increment_many', () => store.incrementMany!(counters));
  // A synchronous in-memory read, made on every request by sealedCookieSession: no I/O to time.
  if (typeof store.getSync === 'function') wrapped.getSync = (key) => store.getSync!(key);
  return wrapped;
}

/**
 * A span `magic_link provider <operation>` per call. A proxy, so everything else the provider
 * has (its name, capabilities, `init`, methods added later) reads as before, and which optional
 * methods exist is unchanged.
 */
export function instrumentProvider(tel: Tel, provider: Provider): Provider {
  const attrs = (op: string): OtelAttributes => ({ ...tel.provider, [ATTR.operation]: op });
  const call = <T>(op: string, a: OtelAttributes, run: () => Promise<T>) =>
    clientCall(tel, `magic_link provider ${op}`, a, tel.m.providerDuration, run);
  const start = attrs('start');
  const finish = attrs('finish');
  const calls: Partial<Provider> = {
    start: (email, ctx) => call('start', start, () => provider.start(email, ctx)),
    finish: (code, client) => call('finish', finish, () => provider.finish(code, client)),
  };
  if (typeof provider.verifyCode === 'function') {
    const a = attrs('verify_code');
    calls.verifyCode = (binding, code, client) =>
      call('verify_code', a, () => provider.verifyCode!(binding, code, client));
  }
  if (typeof provider.follow === 'function') {
    const a = attrs('follow');
    calls.follow = (link) => call('follow', a, () => provider.follow!(link));
  }
  return new Proxy(provider, {
    get(target, key) {
      if (Object.hasOwn(calls, key)) return calls[key as keyof Provider];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/**
 * A span `magic_link mail send` per email. Emails go out after the answer, so the span also
 * links to the request that asked for it (its parent is the background send, already linked).
 */
export function instrumentDelivery<M>(
  tel: Tel,
  send: (message: M) => Promise<void>,
): (message: M) => Promise<void> {
  const attrs: OtelAttributes = {};
  return (message) => {
    const request = currentRun(tel)?.request ?? null;
    return clientCall(tel, 'magic_link mail send', attrs, tel.m.mailDuration, () => send(message), {
      ...(request ? { links: [{ context: request }] } : {}),
    });
  };
}

/** A span around the human check: `magic_link siteverify` for turnstile() and hcaptcha(). */
export function instrumentHuman(tel: Tel, verify: VerifyHuman): VerifyHuman {
  const tagged = (verify as { [HUMAN_CHECK_SERVICE]?: unknown })[HUMAN_CHECK_SERVICE];
  const service = tagged === 'turnstile' || tagged === 'hcaptcha' ? tagged : 'custom';
  const name = service === 'custom' ? 'magic_link verify_human' : 'magic_link siteverify';
  const attrs: OtelAttributes = { [ATTR.humanService]: service };
  const onResult = (span: OtelSpan, verdict: HumanVerdict) => {
    const human = typeof verdict === 'object' && verdict !== null ? verdict.human : verdict;
    span.setAttribute(ATTR.humanOutcome, human === true ? 'human' : 'not_human');
  };
  return (req, fields) =>
    clientCall(tel, name, attrs, tel.m.humanCheckDuration, () => verify(req, fields), {
      onResult,
    });
}
