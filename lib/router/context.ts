import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fields } from '../http';

// What the route table, the handlers and the responder share. It sits below all three, so the
// table can name the handlers it needs without the handlers importing the table back.

/** What a request is about, read from its fields once, before the limits count it. */
export interface Subject {
  /** Counted in the `'address'` scope; `null` when the request names no valid address. */
  readonly throttleKey: string | null;
}

/** What a handler is given: the request, its fields, and the browser's pending nonce. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The body's fields for `body: 'fields'`, the query's otherwise. */
  fields: Fields;
  nonce: string | null;
  ip: string;
  /** What the route's `subject` made of the fields; `null` for a route without one. */
  subject: Subject | null;
  /** The parsed body of a `body: 'json'` route; `undefined` otherwise. */
  json?: unknown;
  /** The path's `:name` segments, e.g. `{ id }` for `/auth/passkeys/:id/rename`. */
  params?: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;
