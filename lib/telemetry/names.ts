import type { OtelCounter, OtelHistogram, OtelMeter, OtelMetricOptions } from './otel-api';

/**
 * Every attribute this package sets, on spans and metric points. Each value is a route, an
 * outcome, an `ERR_*` code or another closed set: never an address, code, token, cookie, state
 * or IP.
 */
export const ATTR = {
  route: 'magic_link.route',
  outcome: 'magic_link.outcome',
  method: 'magic_link.method',
  provider: 'magic_link.provider',
  crossDevice: 'magic_link.cross_device',
  reason: 'magic_link.reason',
  operation: 'magic_link.operation',
  openVia: 'magic_link.open.via',
  openClassification: 'magic_link.open.classification',
  rateLimitScope: 'magic_link.rate_limit.scope',
  humanService: 'magic_link.human_check.service',
  humanOutcome: 'magic_link.human_check.outcome',
  errorType: 'error.type',
  httpRoute: 'http.route',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
} as const;

/** `api.SpanKind` values. */
export const SPAN_KIND = { internal: 0, client: 2 } as const;
/** `api.SpanStatusCode.ERROR`. */
export const STATUS_ERROR = 2;

/** Latency buckets in seconds: the HTTP semantic conventions' advice, plus the sub-millisecond store. */
const SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** The metrics, by name, in the semantic-convention style: dotted names, UCUM units, seconds. */
export const METRICS = {
  linksSent: {
    name: 'magic_link.links.sent',
    unit: '{link}',
    description: 'Sign-in links and codes handed to the provider or the mailer.',
  },
  signIns: {
    name: 'magic_link.sign_ins',
    unit: '{sign_in}',
    description: 'Completed sign-ins, by method.',
  },
  refusals: {
    name: 'magic_link.refusals',
    unit: '{refusal}',
    description: 'Requests refused with a 4xx, and links not sent, by reason.',
  },
  providerDuration: {
    name: 'magic_link.provider.duration',
    unit: 's',
    description: 'Duration of provider calls.',
  },
  mailDuration: {
    name: 'magic_link.mail.duration',
    unit: 's',
    description: 'Duration of sending a sign-in email.',
  },
  storeDuration: {
    name: 'magic_link.store.duration',
    unit: 's',
    description: 'Duration of store calls.',
  },
  storeFailures: {
    name: 'magic_link.store.failures',
    unit: '{failure}',
    description: 'Store calls that failed (ERR_STORE_UNAVAILABLE).',
  },
  humanCheckDuration: {
    name: 'magic_link.human_check.duration',
    unit: 's',
    description: 'Duration of the human check (siteverify).',
  },
} as const;

/** The instruments of one router, created once from the meter. */
export interface Instruments {
  linksSent: OtelCounter;
  signIns: OtelCounter;
  refusals: OtelCounter;
  providerDuration: OtelHistogram;
  mailDuration: OtelHistogram;
  storeDuration: OtelHistogram;
  storeFailures: OtelCounter;
  humanCheckDuration: OtelHistogram;
}

/** Creates every metric of {@link METRICS} on `meter`; histograms advise second buckets. */
export function createInstruments(meter: OtelMeter): Instruments {
  const counter = (m: { name: string; unit: string; description: string }) =>
    meter.createCounter(m.name, { unit: m.unit, description: m.description });
  const histogram = (m: { name: string; unit: string; description: string }) => {
    const options: OtelMetricOptions = {
      unit: m.unit,
      description: m.description,
      advice: { explicitBucketBoundaries: SECONDS },
    };
    return meter.createHistogram(m.name, options);
  };
  return {
    linksSent: counter(METRICS.linksSent),
    signIns: counter(METRICS.signIns),
    refusals: counter(METRICS.refusals),
    providerDuration: histogram(METRICS.providerDuration),
    mailDuration: histogram(METRICS.mailDuration),
    storeDuration: histogram(METRICS.storeDuration),
    storeFailures: counter(METRICS.storeFailures),
    humanCheckDuration: histogram(METRICS.humanCheckDuration),
  };
}
