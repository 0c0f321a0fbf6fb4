/**
 * The part of `@opentelemetry/api` this package uses, as structural types: the app passes its
 * own `import * as api from '@opentelemetry/api'`, so nothing here imports the package, and an
 * app without it compiles and runs as before (the `WorkOSClientLike` pattern).
 */

/** An attribute value: only strings, numbers and booleans are ever set. */
export type OtelAttributeValue = string | number | boolean;
/** `api.Attributes`, as this package sets them. */
export type OtelAttributes = Record<string, OtelAttributeValue>;

/** `api.Context`: an immutable map of values, keyed by symbols. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
  deleteValue(key: symbol): OtelContext;
}

/** `api.SpanContext`. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** `api.Span`, the methods this package calls. */
export interface OtelSpan {
  setAttribute(key: string, value: OtelAttributeValue): unknown;
  /** `code`: 0 unset, 1 ok, 2 error (`api.SpanStatusCode`). */
  setStatus(status: { code: 0 | 1 | 2; message?: string }): unknown;
  spanContext(): OtelSpanContext;
  isRecording(): boolean;
  end(): void;
}

/** `api.SpanOptions`. `kind`: 0 internal, 2 client (`api.SpanKind`). */
export interface OtelSpanOptions {
  kind?: 0 | 1 | 2 | 3 | 4;
  attributes?: OtelAttributes;
  links?: { context: OtelSpanContext; attributes?: OtelAttributes }[];
  root?: boolean;
}

/** `api.Tracer`. */
export interface OtelTracer {
  startSpan(name: string, options?: OtelSpanOptions, context?: OtelContext): OtelSpan;
}

/** `api.Counter`. */
export interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}

/** `api.Histogram`. */
export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}

/** `api.MetricOptions`. */
export interface OtelMetricOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** `api.Meter`, the instruments this package creates. */
export interface OtelMeter {
  createCounter(name: string, options?: OtelMetricOptions): OtelCounter;
  createHistogram(name: string, options?: OtelMetricOptions): OtelHistogram;
}

/** `api.TracerProvider`, or `api.trace` itself. */
export interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
}

/** `api.MeterProvider`, or `api.metrics` itself. */
export interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

/** What `openTelemetry()` needs of the `@opentelemetry/api` module (1.x). */
export interface OpenTelemetryApi {
  trace: OtelTracerProvider & {
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    getSpan(context: OtelContext): OtelSpan | undefined;
  };
  context: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
  metrics: OtelMeterProvider;
  /**
   * The API's no-op meter (API 1.3 and later), to tell at setup that no meter provider was
   * registered: the API's metrics have no proxy, so such a meter stays a no-op for good.
   */
  createNoopMeter?(): OtelMeter;
}

/** Options for `openTelemetry()`. */
export interface OpenTelemetryOptions {
  /**
   * Where spans go. Set it to keep this package's spans apart from the global provider (tests,
   * several tenants in one process).
   * @default the global provider: `api.trace`
   */
  tracerProvider?: OtelTracerProvider;
  /**
   * Where metrics go.
   * @default the global provider: `api.metrics` (read when `magicLinkRouter()` is called, so
   * register the SDK before building the router)
   */
  meterProvider?: OtelMeterProvider;
}

/**
 * What `openTelemetry()` returns, for the `telemetry` option of `magicLinkRouter()`. Opaque: it
 * carries the app's API and providers to the router, which instruments itself once, at setup.
 */
export interface Telemetry {
  readonly kind: 'opentelemetry';
}
