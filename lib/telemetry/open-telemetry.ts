import type { MagicLinkEvent } from '../options';
import { instrumentDelivery, instrumentHuman, instrumentProvider, instrumentStore } from './calls';
import type { Tel } from './calls';
import { NO_INSTRUMENTATION } from './instrumentation';
import type { Instrumentation } from './instrumentation';
import { ATTR, METRICS, createInstruments } from './names';
import type { OpenTelemetryApi, OpenTelemetryOptions, Telemetry } from './otel-api';
import {
  instrumentBackground,
  instrumentDispatch,
  instrumentPresenter,
  instrumentResponder,
  observeEvents,
} from './routes';

/** The instrumentation scope: what spans and metrics are attributed to. */
export const INSTRUMENTATION_NAME = 'express-magic-link';

/** What the router tells telemetry about itself when it is built. */
export interface TelemetrySetup {
  provider: string;
  crossDevice: string;
}

/**
 * Where a `Telemetry` keeps its setup function. A registered symbol, so a `Telemetry` made by
 * the ESM build still works with a router from the CommonJS build.
 */
const INSTRUMENT = Symbol.for('express-magic-link.telemetry.instrument');
type Instrument = (setup: TelemetrySetup) => Instrumentation;

function fail(problem: string): never {
  throw new TypeError(
    `openTelemetry: ${problem}. Pass the API module itself: import * as api from '@opentelemetry/api'; openTelemetry(api).`,
  );
}

/**
 * Traces and metrics through `@opentelemetry/api`, for `magicLinkRouter({ telemetry })`. The app
 * passes its own API module, so this package imports nothing: without the `telemetry` option
 * there is no instrumentation at all, and with it but no SDK registered the API's no-op tracer
 * and meter answer.
 *
 * Spans: `magic_link <METHOD> <path>` per route (a child of the app's HTTP server span), client
 * spans for every provider, store and mail call and for the human check, and `magic_link send`
 * for each link sent after the answer, linked to the request. Metrics: `magic_link.links.sent`,
 * `magic_link.sign_ins`, `magic_link.refusals`, latency histograms in seconds and
 * `magic_link.store.failures`. No attribute ever carries an address, code, token, cookie,
 * state or IP.
 *
 * @example
 * import * as api from '@opentelemetry/api';
 * app.use(magicLinkRouter({ provider, secret, telemetry: openTelemetry(api) }));
 */
export function openTelemetry(
  api: OpenTelemetryApi,
  options: OpenTelemetryOptions = {},
): Telemetry {
  if (!api || typeof api !== 'object') fail('api is required');
  if (typeof api.trace?.getTracer !== 'function' || typeof api.trace.setSpan !== 'function')
    fail('api.trace is missing');
  if (typeof api.context?.active !== 'function' || typeof api.context.with !== 'function')
    fail('api.context is missing');
  if (typeof api.metrics?.getMeter !== 'function') fail('api.metrics is missing');
  if (!options || typeof options !== 'object')
    throw new TypeError('openTelemetry: options must be an object. Pass {} or leave it out.');
  for (const key of ['tracerProvider', 'meterProvider'] as const) {
    const provider = options[key] as { getTracer?: unknown; getMeter?: unknown } | undefined;
    const method = key === 'tracerProvider' ? 'getTracer' : 'getMeter';
    if (provider !== undefined && typeof provider?.[method] !== 'function')
      throw new TypeError(
        `openTelemetry: ${key} must have ${method}(). Pass an SDK provider or leave ${key} out.`,
      );
  }
  const instrument: Instrument = (setup) => {
    // The tracer from the global provider is a proxy that follows an SDK registered later; the
    // meter is read now, so the SDK must be registered before the router is built.
    const tracer = (options.tracerProvider ?? api.trace).getTracer(INSTRUMENTATION_NAME);
    const meter = (options.meterProvider ?? api.metrics).getMeter(INSTRUMENTATION_NAME);
    const provider = { [ATTR.provider]: setup.provider };
    const m = createInstruments(meter);
    const noop = api.createNoopMeter?.().createHistogram(METRICS.storeDuration.name);
    const tel: Tel = {
      api,
      tracer,
      m,
      metered: noop === undefined || m.storeDuration !== noop,
      provider,
      base: { ...provider, [ATTR.crossDevice]: setup.crossDevice },
    };
    const observe = observeEvents(tel);
    return {
      enabled: true,
      store: (store) => instrumentStore(tel, store),
      provider: (p) => instrumentProvider(tel, p),
      delivery: (send) => instrumentDelivery(tel, send),
      human: (verify) => instrumentHuman(tel, verify),
      events: (onEvent) => (event) => {
        try {
          observe(event as MagicLinkEvent);
        } finally {
          onEvent(event);
        }
      },
      dispatch: (dispatch) => instrumentDispatch(tel, dispatch),
      responder: (respond) => instrumentResponder(tel, respond),
      presenter: (present) => instrumentPresenter(tel, present),
      background: instrumentBackground(tel),
    };
  };
  return Object.freeze({ kind: 'opentelemetry', [INSTRUMENT]: instrument }) as Telemetry;
}

/** The `telemetry` option, resolved: no instrumentation at all when it is absent. */
export function instrumentationFor(value: unknown, setup: TelemetrySetup): Instrumentation {
  if (value === undefined) return NO_INSTRUMENTATION;
  const instrument =
    typeof value === 'object' ? (value as { [INSTRUMENT]?: unknown })[INSTRUMENT] : undefined;
  if (typeof instrument !== 'function')
    throw new TypeError(
      "magicLinkRouter: telemetry must be what openTelemetry(api) returns. Pass telemetry: openTelemetry(api), with import * as api from '@opentelemetry/api'.",
    );
  return (instrument as Instrument)({
    provider: setup.provider.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64),
    crossDevice: setup.crossDevice,
  });
}
