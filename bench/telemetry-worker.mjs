// One side of bench/telemetry.mjs's in-process comparison, alone in its process:
//
//   node bench/telemetry-worker.mjs <plain|otel>
//
// Builds the `sealed` bench stack's router (sealedCookieSession, memoryStore, delivery discards,
// rate limits off), with `telemetry: openTelemetry(api)` and no SDK registered for `otel`, and
// calls it directly with in-memory requests: Node's own IncomingMessage and ServerResponse over
// a stream that discards, so no socket, parser or load generator adds noise. On `{ block: n }`
// it asks for n links one after another, waits for their background sends, and answers
// `{ cpuPerRequest }` (µs of this process's CPU time per request).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import * as otelApi from '@opentelemetry/api';
import {
  magicLinkRouter,
  memoryStore,
  openTelemetry,
  sealedCookieSession,
  selfHostedProvider,
} from '../dist/index.mjs';

const variant = process.argv[2];
if (variant !== 'plain' && variant !== 'otel') {
  console.error('bench/telemetry-worker.mjs: pass plain or otel');
  process.exit(2);
}
const ORIGIN = 'http://127.0.0.1:3000';
const router = magicLinkRouter({
  provider: selfHostedProvider(),
  secret: 'bench-magic-link-secret-0123456789abcdef',
  origin: ORIGIN,
  store: memoryStore({ warnInProduction: false, maxEntries: 5_000_000 }),
  session: sealedCookieSession({ secret: 'bench-session-secret-0123456789abcdef0123' }),
  delivery: async () => {},
  dangerouslyDisableRateLimit: true,
  onEvent: () => {},
  ...(variant === 'otel' ? { telemetry: openTelemetry(otelApi) } : {}),
});
const body = Buffer.from('email=bench%2B0%40example.com');
const headers = {
  host: '127.0.0.1:3000',
  origin: ORIGIN,
  'content-type': 'application/x-www-form-urlencoded',
  'content-length': String(body.length),
};

function askForLink() {
  return new Promise((resolve, reject) => {
    const socket = new Duplex({
      read() {},
      write(_chunk, _encoding, done) {
        done();
      },
    });
    Object.defineProperty(socket, 'remoteAddress', { value: '127.0.0.1' });
    const req = new IncomingMessage(socket);
    req.method = 'POST';
    req.url = '/auth/magic-link';
    req.headers = headers;
    req.push(body);
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () =>
      res.statusCode === 303 ? resolve() : reject(new Error(`answered ${res.statusCode}`)),
    );
    router(req, res, (err) => reject(err ?? new Error('the router passed the request on')));
  });
}

process.on('message', async ({ block }) => {
  try {
    const before = process.cpuUsage();
    for (let i = 0; i < block; i++) await askForLink();
    await router.drain();
    const used = process.cpuUsage(before);
    process.send({ cpuPerRequest: (used.user + used.system) / block });
  } catch (err) {
    process.send({ error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
