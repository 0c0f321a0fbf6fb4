import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

/** The services whose wire format {@link startMailService} speaks. */
export type MailServiceName = 'resend' | 'postmark' | 'ses' | 'sendgrid';

/** One email a wire server accepted, in one shape whatever the service. */
export interface ServiceEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Custom headers, by name as sent. */
  headers: Record<string, string>;
  /** Tags, categories and metadata, by name (a category without a value maps to `''`). */
  tags: Record<string, string>;
  /** Other fields the service records, e.g. Postmark's `MessageStream` or tracking settings. */
  extra: Record<string, unknown>;
}

/** One HTTP request as the server received it, before any fault or check. */
export interface ServiceRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** When the whole request had arrived (`Date.now()`). */
  receivedAt: number;
}

/** What the next matching requests get instead of the service's normal answer. */
export type ServiceFault =
  | {
      /** Answer with this status and the service's error body for it. */
      status: number;
      /** The `Retry-After` header, e.g. `'1'`. */
      retryAfter?: string;
      /** The service's own reason, e.g. `'Internal error'`. */
      message?: string;
    }
  /** Never answer; the socket stays open until `close()`. */
  | { hang: true }
  /** Destroy the connection as soon as the request has arrived. */
  | { drop: true }
  /** Accept the email, then destroy the connection: the service sent it, the answer is lost. */
  | { lose: true };

/** A service's answer, as a dialect builds it. */
export interface WireAnswer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** How one service speaks: where it listens, how it authenticates, what its answers look like. */
export interface Dialect {
  method: string;
  path: string;
  /** True when the request carries the server's credentials. */
  authorized(headers: IncomingHttpHeaders, apiKey: string): boolean;
  /** The email in the request body, or a string saying what is missing. */
  parse(body: unknown): Omit<ServiceEmail, 'id'> | string;
  /** The success answer for an accepted email. */
  accepted(email: ServiceEmail): WireAnswer;
  /** The service's error answer: `kind` says why, `message` overrides its words. */
  refused(
    kind: 'auth' | 'sender' | 'invalid' | 'status',
    status: number,
    message?: string,
  ): WireAnswer;
}

/** A running wire server. */
export interface MailServiceServer {
  service: MailServiceName;
  /** e.g. `http://127.0.0.1:43210`, no trailing slash. */
  url: string;
  port: number;
  /** The API key (Resend, Postmark, SendGrid) or AWS access key id (SES) it accepts. */
  apiKey: string;
  /** Every request received, in order, faults and refusals included. */
  requests: ServiceRequest[];
  /** Every email accepted (a repeated idempotency key adds none). */
  outbox: ServiceEmail[];
  /** The next `times` requests get `fault`; queued after any faults already waiting. */
  failNext(fault: ServiceFault, times?: number): void;
  /** Resolves with the first accepted email (already received or next) that matches. */
  waitForEmail(match?: (email: ServiceEmail) => boolean, timeoutMs?: number): Promise<ServiceEmail>;
  close(): Promise<void>;
}

/** Options of {@link startMailService}. */
export interface MailServiceServerOptions {
  /** The key the server accepts. @default a random one, as `apiKey` */
  apiKey?: string;
  /**
   * The senders the account may send from: full addresses or `@domain`. A `from` that matches
   * none is refused the way the service refuses an unverified sender.
   * @default every sender
   */
  verifiedSenders?: readonly string[];
}

const MAX_BODY = 1024 * 1024;

function senderAllowed(from: string, verified: readonly string[] | undefined): boolean {
  if (verified === undefined) return true;
  const address = (/<([^>]+)>\s*$/.exec(from)?.[1] ?? from).trim().toLowerCase();
  return verified.some((v) =>
    v.startsWith('@') ? address.endsWith(v.toLowerCase()) : address === v.toLowerCase(),
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, a: WireAnswer): void {
  const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': typeof a.body === 'string' ? 'text/plain' : 'application/json',
    ...a.headers,
  });
  res.end(body);
}

/** A random key in the service's own format, so SDKs that check the shape do not warn. */
function defaultKey(service: MailServiceName): string {
  const random = randomUUID().replace(/-/g, '');
  switch (service) {
    case 'resend':
      return `re_test_${random}`;
    case 'sendgrid':
      return `SG.test.${random}`;
    case 'ses':
      return `AKIATEST${random.slice(0, 12).toUpperCase()}`;
    case 'postmark':
      return randomUUID();
  }
}

/** Starts a server for `dialect` on 127.0.0.1 and a free port. */
export async function startWireServer(
  service: MailServiceName,
  dialect: Dialect,
  options: MailServiceServerOptions = {},
): Promise<MailServiceServer> {
  const apiKey = options.apiKey ?? defaultKey(service);
  const requests: ServiceRequest[] = [];
  const outbox: ServiceEmail[] = [];
  const faults: ServiceFault[] = [];
  const byKey = new Map<string, ServiceEmail>();
  const waiters = new Set<{
    match: (e: ServiceEmail) => boolean;
    resolve: (e: ServiceEmail) => void;
  }>();
  const sockets = new Set<Socket>();

  function accept(email: ServiceEmail): void {
    outbox.push(email);
    for (const waiter of waiters) {
      if (waiter.match(email)) {
        waiters.delete(waiter);
        waiter.resolve(email);
      }
    }
  }

  /** The service's normal handling of a request: checks, then acceptance. */
  function settle(body: unknown, req: IncomingMessage, reply: (a: WireAnswer) => void): void {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (req.method !== dialect.method || path !== dialect.path) {
      reply(dialect.refused('status', 404, `No route ${req.method} ${path}`));
      return;
    }
    if (!dialect.authorized(req.headers, apiKey)) {
      reply(dialect.refused('auth', 401));
      return;
    }
    const parsed = dialect.parse(body);
    if (typeof parsed === 'string') {
      reply(dialect.refused('invalid', 422, parsed));
      return;
    }
    if (!senderAllowed(parsed.from, options.verifiedSenders)) {
      reply(dialect.refused('sender', 422));
      return;
    }
    const key = req.headers['idempotency-key'];
    const seen = typeof key === 'string' ? byKey.get(key) : undefined;
    if (seen !== undefined) {
      reply(dialect.accepted(seen));
      return;
    }
    const email: ServiceEmail = { id: randomUUID(), ...parsed };
    if (typeof key === 'string') byKey.set(key, email);
    accept(email);
    reply(dialect.accepted(email));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Kept as text: the request is recorded as it came.
    }
    const path = (req.url ?? '/').split('?', 1)[0]!;
    requests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
    });
    const fault = faults.shift();
    if (fault !== undefined) {
      if ('hang' in fault) return;
      if ('drop' in fault) {
        req.socket.destroy();
        return;
      }
      if ('lose' in fault) {
        settle(body, req, () => req.socket.destroy());
        return;
      }
      const refused = dialect.refused('status', fault.status, fault.message);
      if (fault.retryAfter !== undefined) {
        refused.headers = { ...refused.headers, 'retry-after': fault.retryAfter };
      }
      answer(res, refused);
      return;
    }
    settle(body, req, (a) => answer(res, a));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, { status: 500, body: 'wire server error' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    service,
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    requests,
    outbox,
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i += 1) faults.push(fault);
    },
    waitForEmail(match = () => true, timeoutMs = 30_000) {
      const found = outbox.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (email: ServiceEmail) => {
            clearTimeout(timer);
            resolve(email);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No ${service} email arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** A string field of a parsed JSON body, or undefined. */
export function field(body: unknown, ...path: string[]): unknown {
  let here: unknown = body;
  for (const key of path) {
    here =
      typeof here === 'object' && here !== null
        ? (here as Record<string, unknown>)[key]
        : undefined;
  }
  return here;
}

/** `value` when it is a string, else `''`. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A `[{ Name, Value }]` list (Postmark, SES) as a record. */
export function namedValues(list: unknown, name = 'Name', value = 'Value'): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const entry of list as Record<string, unknown>[]) {
    if (typeof entry[name] === 'string') out[entry[name]] = text(entry[value]);
  }
  return out;
}
