import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Turnstile's and hCaptcha's siteverify, on 127.0.0.1: it speaks their wire
 * format (a form POST of `secret`, `response`, `remoteip`…; a JSON answer with `success` and
 * `error-codes`) and can fail the ways a remote service fails. Nothing reaches the real services.
 */
export type SiteverifyMode =
  /** Answer like the service: see `answerFor`. */
  | 'service'
  /** Accept the request and never answer. */
  | 'hang'
  /** Send the headers and half a JSON body, then nothing more. */
  | 'stall-body'
  /** HTTP 500 with an HTML body. */
  | 'http-500'
  /** Close the socket without answering. */
  | 'close'
  /** A 200 whose body is far larger than any siteverify answer. */
  | 'huge'
  /** A 200 whose body is not JSON. */
  | 'not-json';

export interface SiteverifyRequest {
  contentType: string | undefined;
  method: string | undefined;
  fields: Record<string, string>;
  /** Keys in the order sent, repeated keys included. */
  keys: string[];
}

export interface FakeSiteverify {
  url: string;
  requests: SiteverifyRequest[];
  mode: SiteverifyMode;
  /** Extra fields in every successful answer (e.g. `hostname`, `action`). */
  successFields: Record<string, unknown>;
  /** Error codes to answer for the next requests, whatever they carry (e.g. `internal-error`). */
  forceCodes: string[] | null;
  close(): Promise<void>;
}

export const GOOD_SECRET = 'test-siteverify-secret';
/** Tokens that pass (each once, like the real services). */
export const goodToken = (n = 0): string => `good-token-${n}`;

function answerFor(
  fake: FakeSiteverify,
  req: SiteverifyRequest,
  spent: Set<string>,
  service: 'turnstile' | 'hcaptcha',
): { status: number; body: unknown } {
  if (req.contentType?.split(';')[0] !== 'application/x-www-form-urlencoded')
    return { status: 400, body: { success: false, 'error-codes': ['bad-request'] } };
  const f = req.fields;
  const fail = (...codes: string[]) => ({
    status: 200,
    body: { success: false, 'error-codes': codes },
  });
  if (fake.forceCodes) return fail(...fake.forceCodes);
  if (!f.secret) return fail('missing-input-secret');
  if (f.secret !== GOOD_SECRET) return fail('invalid-input-secret');
  if (service === 'hcaptcha' && f.sitekey !== undefined && f.sitekey !== 'good-sitekey')
    return fail('sitekey-secret-mismatch');
  if (!f.response) return fail('missing-input-response');
  if (!f.response.startsWith('good-token-')) return fail('invalid-input-response');
  if (spent.has(f.response))
    return fail(service === 'turnstile' ? 'timeout-or-duplicate' : 'already-seen-response');
  spent.add(f.response);
  return {
    status: 200,
    body: {
      success: true,
      'error-codes': [],
      challenge_ts: new Date().toISOString(),
      hostname: 'app.example.test',
      ...fake.successFields,
    },
  };
}

export async function startFakeSiteverify(
  service: 'turnstile' | 'hcaptcha',
): Promise<FakeSiteverify> {
  const spent = new Set<string>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const record: SiteverifyRequest = {
        contentType: req.headers['content-type'],
        method: req.method,
        fields: Object.fromEntries(params),
        keys: [...params.keys()],
      };
      fake.requests.push(record);
      switch (fake.mode) {
        case 'hang':
          hanging.add(res);
          return;
        case 'stall-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"success":tr');
          hanging.add(res);
          return;
        case 'http-500':
          res.writeHead(500, { 'content-type': 'text/html' });
          res.end('<h1>Internal Server Error</h1>');
          return;
        case 'close':
          req.socket.destroy();
          return;
        case 'huge':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(`{"success":true,"error-codes":[],"pad":"${'x'.repeat(64 * 1024)}"}`);
          return;
        case 'not-json':
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html>captive portal</html>');
          return;
        case 'service': {
          const { status, body } = answerFor(fake, record, spent, service);
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeSiteverify = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`,
    requests: [],
    mode: 'service',
    successFields: {},
    forceCodes: null,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
