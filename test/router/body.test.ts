import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { magicLinkRouter, memoryStore, selfHostedProvider } from '../../lib/index';
import type { MagicLinkRouter } from '../../lib/index';

const SECRET = 'body-test-secret-0123456789abcdef0123456789';

interface Harness {
  origin: string;
  sentTo: string[];
  ended: number;
  router: MagicLinkRouter;
  close(): Promise<void>;
}

async function start(): Promise<Harness> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = express();
  const h = { origin, sentTo: [] as string[], ended: 0 } as Harness;
  // An app's own middleware that watches the request stream end, as loggers do.
  app.use((req: IncomingMessage, _res, next) => {
    req.on('end', () => (h.ended += 1));
    next();
  });
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
  h.router = magicLinkRouter({
    provider: selfHostedProvider(),
    secret: SECRET,
    origin,
    store: memoryStore(),
    delivery: async ({ to }) => {
      h.sentTo.push(to);
    },
    dangerouslyDisableRateLimit: true,
  });
  app.use(h.router);
  server.on('request', app);
  h.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return h;
}

function formRequest(origin: string, body: Buffer): Buffer {
  const { host } = new URL(origin);
  const head =
    `POST /auth/magic-link HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** Writes `parts` to one keep-alive socket, a pause between them; the status lines it got back. */
async function exchange(origin: string, parts: Buffer[], answers: number): Promise<string[]> {
  const { port } = new URL(origin);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  for (const part of parts) {
    socket.write(part);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const deadline = Date.now() + 5000;
  while ((received.match(/^HTTP\/1\.1 /gm) ?? []).length < answers && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  socket.destroy();
  return received.match(/^HTTP\/1\.1 \d+/gm) ?? [];
}

describe('reading a form body', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(() => h.close());

  const body = (email: string) => Buffer.from(`email=${encodeURIComponent(email)}`);

  it('takes a body that came with the headers, and the request stream still ends', async () => {
    expect(await exchange(h.origin, [formRequest(h.origin, body('a@example.com'))], 1)).toEqual([
      'HTTP/1.1 303',
    ]);
    await h.router.drain();
    expect(h.sentTo).toEqual(['a@example.com']);
    expect(h.ended).toBe(1);
  });

  it('waits for a body that comes after the headers, split inside a character', async () => {
    const whole = formRequest(h.origin, body('ann@bücher.example'));
    const cut = whole.indexOf(Buffer.from('%C3%BC')) + 4;
    const headEnd = whole.indexOf('\r\n\r\n') + 4;
    const parts = [whole.subarray(0, headEnd), whole.subarray(headEnd, cut), whole.subarray(cut)];
    expect(await exchange(h.origin, parts, 1)).toEqual(['HTTP/1.1 303']);
    await h.router.drain();
    expect(h.sentTo).toEqual(['ann@xn--bcher-kva.example']);
    expect(h.ended).toBe(1);
  });

  it('answers three requests written at once on one keep-alive socket', async () => {
    const three = Buffer.concat(
      ['a@example.com', 'b@example.com', 'c@example.com'].map((email) =>
        formRequest(h.origin, body(email)),
      ),
    );
    expect(await exchange(h.origin, [three], 3)).toEqual([
      'HTTP/1.1 303',
      'HTTP/1.1 303',
      'HTTP/1.1 303',
    ]);
    await h.router.drain();
    expect(h.sentTo.sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(h.ended).toBe(3);
  });

  it('refuses a body shorter than its Content-Length once the client gives up', async () => {
    const whole = formRequest(h.origin, body('a@example.com'));
    const { port } = new URL(h.origin);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(whole.subarray(0, whole.length - 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await h.router.drain();
    expect(h.sentTo).toEqual([]);
  });
});
