import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MagicLinkError } from '../errors';
import type { Outcome } from '../flow/outcomes';
import type { VerifyHuman } from '../human/types';
import type { Provider } from '../providers/provider';
import type { Store } from '../stores/store';

type Next = (err?: unknown) => void;

/** The dispatcher's entry point, which the route span wraps. */
export type Dispatch<M> = (
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
  path: string,
  methods: M,
) => Promise<void>;

/** The responder, which reports each route's outcome. */
export type Respond<C extends { req: IncomingMessage }> = (c: C, outcome: Outcome) => Promise<void>;

/** The error presenter, which reports each refusal and failure. */
export type Present = (
  req: IncomingMessage,
  res: ServerResponse,
  err: MagicLinkError,
  path: string,
) => void;

/**
 * The seams where telemetry plugs in, each applied once when the router is built: decorators of
 * the store, provider, mailer and human check, of the dispatcher and responder, and a tap on the
 * events. The flow never calls a tracer: it reports outcomes and events, and only runs its
 * background sends through `background`. Off, every decorator is the identity and `background`
 * calls the job (pino's model: decide at setup, no branch per call).
 */
export interface Instrumentation {
  readonly enabled: boolean;
  store(store: Store): Store;
  provider(provider: Provider): Provider;
  delivery<M>(send: (message: M) => Promise<void>): (message: M) => Promise<void>;
  human(verify: VerifyHuman): VerifyHuman;
  events<E>(onEvent: (event: E) => void): (event: E) => void;
  dispatch<M>(dispatch: Dispatch<M>): Dispatch<M>;
  responder<C extends { req: IncomingMessage }>(respond: Respond<C>): Respond<C>;
  presenter(present: Present): Present;
  /** Runs work that goes on after the answer (sending a link). */
  background(job: () => Promise<void>): Promise<void>;
}

const same = <T>(value: T): T => value;

/** Telemetry off: nothing wrapped, nothing measured. */
export const NO_INSTRUMENTATION: Instrumentation = {
  enabled: false,
  store: same,
  provider: same,
  delivery: same,
  human: same,
  events: same,
  dispatch: same,
  responder: same,
  presenter: same,
  background: (job) => job(),
};
