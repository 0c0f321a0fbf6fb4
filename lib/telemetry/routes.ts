import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Outcome } from '../flow/outcomes';
import type { MagicLinkEvent } from '../options';
import { RUN, currentRun } from './calls';
import type { Run, Tel } from './calls';
import type { Dispatch, Present, Respond } from './instrumentation';
import { ATTR, SPAN_KIND, STATUS_ERROR } from './names';
import type { OtelAttributes, OtelSpanOptions } from './otel-api';

/** What each outcome of the flow is called on the route span. */
const OUTCOMES: Record<Outcome['kind'], string> = {
  sent: 'sent',
  verified: 'signed_in',
  confirm: 'confirmation_required',
  relay: 'relay_required',
  redirect: 'redirected',
};

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST']);

function newRun(span: Run['span'], background: boolean, request: Run['request'] = null): Run {
  return { span, outcome: null, errorType: null, failed: false, background, request };
}

function endRun(run: Run, fallback: string, res?: ServerResponse): void {
  const { span } = run;
  if (span.isRecording()) {
    span.setAttribute(ATTR.outcome, run.outcome ?? fallback);
    // An error passed to next() is answered later, by the app's error handler.
    if (res?.headersSent) span.setAttribute(ATTR.httpStatus, res.statusCode);
    if (run.errorType !== null) span.setAttribute(ATTR.errorType, run.errorType);
    if (run.failed) span.setStatus({ code: STATUS_ERROR, message: run.errorType ?? '_OTHER' });
  }
  span.end();
}

/**
 * One span per package route, `magic_link <METHOD> <path>`, a child of whatever span is active
 * (the app's HTTP server span). Its outcome comes from the responder, the error presenter and
 * the events, through the run kept in the context.
 */
export function instrumentDispatch<M>(tel: Tel, dispatch: Dispatch<M>): Dispatch<M> {
  const { api, tracer } = tel;
  // Bounded: only matched paths reach the dispatcher, and methods fold into four names.
  const routes = new Map<string, Map<string, { name: string; options: OtelSpanOptions }>>();
  function routeOf(method: string, path: string) {
    let byMethod = routes.get(path);
    if (byMethod === undefined) routes.set(path, (byMethod = new Map()));
    let route = byMethod.get(method);
    if (route === undefined) {
      const key = `${method} ${path}`;
      const attributes: OtelAttributes = {
        ...tel.base,
        [ATTR.route]: key,
        [ATTR.httpRoute]: path,
        [ATTR.httpMethod]: method,
      };
      route = { name: `magic_link ${key}`, options: { kind: SPAN_KIND.internal, attributes } };
      byMethod.set(method, route);
    }
    return route;
  }
  return function instrumentedDispatch(req, res, next, path, methods) {
    const method = KNOWN_METHODS.has(req.method ?? '') ? req.method! : '_OTHER';
    const route = routeOf(method, path);
    const parent = api.context.active();
    const span = tracer.startSpan(route.name, route.options, parent);
    // Nothing records it (no SDK, or sampled out): nothing to report on, nothing to link to.
    if (!span.isRecording()) {
      span.end();
      return dispatch(req, res, next, path, methods);
    }
    const run = newRun(span, false);
    const context = api.trace.setSpan(parent, span).setValue(RUN, run);
    const tappedNext = (err?: unknown) => {
      if (err !== undefined) {
        run.outcome = 'failed';
        run.errorType ??= '_OTHER';
        run.failed = true;
      }
      next(err);
    };
    const fallback = method === 'POST' ? 'done' : 'page';
    return api.context
      .with(context, () => dispatch(req, res, tappedNext, path, methods))
      .finally(() => endRun(run, fallback, res));
  };
}

/** Reports the flow's outcome (and a sign-in's method) on the route span. */
export function instrumentResponder<C extends { req: IncomingMessage }>(
  tel: Tel,
  respond: Respond<C>,
): Respond<C> {
  return (c, outcome) => {
    const run = currentRun(tel);
    if (run !== undefined) {
      run.outcome = OUTCOMES[outcome.kind];
      if (outcome.kind === 'verified') run.span.setAttribute(ATTR.method, outcome.method);
    }
    return respond(c, outcome);
  };
}

/** Reports a refusal (4xx) or failure (5xx) with its `ERR_*` code; counts refusals. */
export function instrumentPresenter(tel: Tel, present: Present): Present {
  return (req, res, err, path) => {
    const run = currentRun(tel);
    const failed = err.status >= 500;
    if (run !== undefined) {
      run.outcome = failed ? 'failed' : 'refused';
      run.errorType = err.code;
      run.failed = failed;
    }
    if (!failed) tel.m.refusals.add(1, { ...tel.provider, [ATTR.reason]: err.code });
    present(req, res, err, path);
  };
}

/**
 * Work after the answer (sending a link) gets a span of its own, `magic_link send`: a new trace
 * with a link to the request's span, so it neither stretches the request's trace nor is lost.
 */
export function instrumentBackground(tel: Tel): (job: () => Promise<void>) => Promise<void> {
  const { api, tracer } = tel;
  return (job) => {
    const parent = api.context.active();
    const request = (parent.getValue(RUN) as Run | undefined)?.span.spanContext() ?? null;
    const options: OtelSpanOptions = {
      kind: SPAN_KIND.internal,
      attributes: tel.base,
      root: true,
    };
    if (request !== null) options.links = [{ context: request }];
    const span = tracer.startSpan('magic_link send', options);
    if (!span.isRecording()) {
      span.end();
      return job();
    }
    const run = newRun(span, true, request);
    const context = api.trace.setSpan(parent, span).setValue(RUN, run);
    return api.context.with(context, job).finally(() => endRun(run, 'done'));
  };
}

/**
 * Counts the events (links sent, sign-ins by method, links not sent) and copies their closed-set
 * fields onto the span of the run they belong to. Only enums and codes: an event's masked
 * address, user id and IP never reach telemetry.
 */
export function observeEvents(tel: Tel): (event: MagicLinkEvent) => void {
  return (event) => {
    const run = currentRun(tel);
    switch (event.type) {
      case 'link_sent':
        tel.m.linksSent.add(1, tel.provider);
        if (run) run.outcome = 'sent';
        return;
      case 'link_not_sent':
        tel.m.refusals.add(1, { ...tel.provider, [ATTR.reason]: event.reason });
        if (run) run.outcome = event.reason;
        return;
      case 'sign_in':
        tel.m.signIns.add(1, { ...tel.provider, [ATTR.method]: event.method });
        return;
      case 'link_opened_elsewhere':
        if (run) {
          run.span.setAttribute(ATTR.openVia, event.via);
          run.span.setAttribute(ATTR.openClassification, event.classification);
        }
        return;
      case 'rate_limited':
        run?.span.setAttribute(ATTR.rateLimitScope, event.scope);
        return;
      case 'provider_error':
        // In a request, the presenter reports it too; after the answer, only this does.
        if (run?.background) {
          run.outcome = 'failed';
          run.errorType = event.reason;
          run.failed = true;
        }
        return;
      case 'sign_out':
        if (run) run.outcome = 'signed_out';
        return;
      // A passkey sign-in is counted by its sign_in event (method 'passkey'); a refused one
      // answers ERR_PASSKEY_INVALID, which the route span carries as error.type.
      case 'sign_in_failed':
      case 'human_check_failed':
      case 'setup_warning':
      case 'passkey_registered':
      case 'passkey_removed':
      case 'passkey_failed':
      case 'passkey_clone_suspected':
        return;
    }
  };
}
