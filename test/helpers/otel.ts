import type { IncomingMessage, ServerResponse } from 'node:http';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { memoryStore } from '../../lib/index';
import type { Store } from '../../lib/index';

/** The name the app's stand-in HTTP server span carries. */
export const SERVER_SPAN = 'test HTTP server';

export interface TestOtel {
  spans: InMemorySpanExporter;
  /** Every metric point exported so far, after a flush. */
  metrics(): Promise<MetricData[]>;
  /** Only the spans this package made. */
  ours(): ReadableSpan[];
  /** Middleware that runs the request in a server span, as an HTTP instrumentation would. */
  serverSpan: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  shutdown(): Promise<void>;
}

/**
 * The in-memory SDK, registered globally: an AsyncLocalStorage context manager, a tracer provider
 * with the in-memory span exporter, a meter provider with the in-memory metric exporter.
 */
export function registerOtel(): TestOtel {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  api.trace.setGlobalTracerProvider(tracerProvider);
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  api.metrics.setGlobalMeterProvider(meterProvider);
  const tracer = api.trace.getTracer('test-http');
  return {
    spans,
    async metrics() {
      exporter.reset();
      await reader.forceFlush();
      return exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics)
        .filter((s) => s.scope.name === 'express-magic-link')
        .flatMap((s) => s.metrics);
    },
    ours: () =>
      spans.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'express-magic-link'),
    serverSpan(req, res, next) {
      const span = tracer.startSpan(SERVER_SPAN, { kind: api.SpanKind.SERVER });
      res.on('close', () => span.end());
      api.context.with(api.trace.setSpan(api.context.active(), span), next);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      api.trace.disable();
      api.metrics.disable();
      api.context.disable();
    },
  };
}

/** The points of one metric, by name. */
export function pointsOf(metrics: MetricData[], name: string): DataPoint<unknown>[] {
  return metrics
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

/** The sum of a counter's points whose attributes include `match`. */
export function countOf(
  metrics: MetricData[],
  name: string,
  match: Record<string, string> = {},
): number {
  return pointsOf(metrics, name)
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (p.value as number), 0);
}

/** A store whose every call can be made to fail, as a Redis that went away. */
export function switchableStore(): { store: Store; down: (on: boolean) => void } {
  const inner = memoryStore();
  let isDown = false;
  const gate =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A) =>
      isDown ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : fn(...args);
  return {
    store: {
      get: gate((k: string) => inner.get(k)),
      set: gate((k: string, v: string, ttl: number) => inner.set(k, v, ttl)),
      take: gate((k: string) => inner.take(k)),
      increment: gate((k: string, ttl: number) => inner.increment(k, ttl)),
      delete: gate((k: string) => inner.delete(k)),
    },
    down: (on) => (isDown = on),
  };
}
