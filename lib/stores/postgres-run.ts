import { MagicLinkError } from '../errors';

/** A connection checked out of a pool: the part of `pg`'s `PoolClient` that `postgresStore` and `postgresPasskeyStore` uses. */
export interface PgPoolClientLike {
  query(text: string): Promise<unknown>;
  release(destroy?: boolean | Error): void;
}

/** The part of a `pg` `Pool` that `postgresStore` and `postgresPasskeyStore` uses; matched by shape, `pg` is not imported. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
}

/** One statement's result, as `pg` gives it; a multi-statement message answers with an array. */
export interface PgResult {
  rows: Record<string, unknown>[];
}

/**
 * Runs one simple-protocol message on a pooled connection: `SET LOCAL statement_timeout`,
 * `SET LOCAL transaction_read_only = off` (a hot standby refuses it, so a pool pointed at a
 * replica fails closed) and the statement, as one implicit transaction and one round trip.
 *
 * Fails closed: no connection or no answer within `limitMs` (waiting for the pool included)
 * rejects with `ERR_STORE_UNAVAILABLE`, and the connection is destroyed rather than reused;
 * any error from the driver or the server rejects the same way, with a cause stripped of the
 * statement's text. Shared by `postgresStore` and `postgresPasskeyStore`.
 */
export function pgRunner(
  pool: PgPoolLike,
  factory: string,
): (what: string, sql: string, limitMs: number) => Promise<PgResult[]> {
  return (what, sql, limitMs) => {
    const text = `SET LOCAL statement_timeout = ${limitMs}; SET LOCAL transaction_read_only = off; ${sql}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      let held: PgPoolClientLike | undefined;
      const timer = setTimeout(() => {
        settled = true;
        held?.release(true);
        reject(pgUnavailable(factory, `${what} timed out after ${limitMs} ms`));
      }, limitMs);
      timer.unref();
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          error instanceof MagicLinkError ? error : pgUnavailable(factory, `${what} failed`, error),
        );
      };
      let connecting: Promise<PgPoolClientLike>;
      try {
        connecting = Promise.resolve(pool.connect());
      } catch (error) {
        connecting = Promise.reject(error);
      }
      connecting.then((client) => {
        if (settled) {
          client.release();
          return;
        }
        held = client;
        client.query(text).then(
          (reply) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            client.release();
            try {
              resolve(pgResults(factory, what, reply));
            } catch (error) {
              reject(error);
            }
          },
          (error: unknown) => {
            if (!settled) client.release(true);
            fail(error);
          },
        );
      }, fail);
    });
  };
}

function pgResults(factory: string, what: string, reply: unknown): PgResult[] {
  const list = Array.isArray(reply) ? (reply as unknown[]) : [reply];
  for (const r of list) {
    if (typeof r !== 'object' || r === null || !Array.isArray((r as PgResult).rows)) {
      throw pgUnavailable(factory, `${what} got an unexpected reply from Postgres`);
    }
  }
  return list as PgResult[];
}

/** `ERR_STORE_UNAVAILABLE` (503), with a cause that carries no SQL, keys or values. */
export function pgUnavailable(factory: string, detail: string, cause?: unknown): MagicLinkError {
  return new MagicLinkError(
    'ERR_STORE_UNAVAILABLE',
    `${factory}: ${detail}`,
    cause === undefined ? {} : { cause: withoutQuery(cause) },
  );
}

/**
 * pg's errors can carry the statement's text (`where`, `internalQuery`), and a data exception
 * (SQLSTATE class 22) quotes the offending input: the cause goes on as a copy with only its
 * message, SQLSTATE and severity, so logs and onEvent never carry stored values.
 */
function withoutQuery(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as Error & { code?: unknown; severity?: unknown };
  const quotesInput = typeof e.code === 'string' && e.code.startsWith('22');
  const copy = new Error(
    quotesInput ? `data exception (SQLSTATE ${String(e.code)})` : error.message,
  );
  copy.name = error.name;
  Object.assign(copy, { code: e.code, severity: e.severity });
  return copy;
}

/**
 * A string as a `text` expression made only of hex digits: no quoting, escaping or encoding
 * setting can turn it into SQL.
 */
export function pgText(value: string): string {
  return `convert_from(decode('${Buffer.from(value, 'utf8').toString('hex')}', 'hex'), 'UTF8')`;
}
