import { inspect } from 'node:util';
import type Redis from 'ioredis';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import type { MagicLinkEvent } from '../../lib/options';
import { redisStore } from '../../lib/stores/redis';
import { smtpMailer } from '../../lib/mail/smtp';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { TEST_COMMAND_TIMEOUT_MS, connectIoredis, describeWithRedis } from '../helpers/redis';
import { codeIn, linksIn, startSmtpServer } from '../helpers/smtp';

interface Received {
  /** The link's path and query on the test app. */
  path: string;
  /** The raw 256-bit token (the link's `code` parameter). */
  token: string;
  state: string;
  code: string;
}

function toAddress(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}

const timestamp = { at: expect.any(Date), ip: expect.any(String) };

describeWithRedis('onEvent', (redis) => {
  let client: Redis;
  let t: TestApp;
  /** Every raw token, code and full address the flow handled: none may reach an event. */
  const secrets: string[] = [];

  beforeAll(async () => {
    client = await connectIoredis(redis().url);
    t = await createTestApp({
      provider: 'self-hosted',
      store: redisStore(client, { commandTimeoutMs: TEST_COMMAND_TIMEOUT_MS }),
    });
  });

  afterAll(async () => {
    await t.close();
    client.disconnect();
  });

  async function ask(agent: request.Agent, email: string): Promise<Received> {
    secrets.push(email, email.toLowerCase());
    const sent = await agent.post('/auth/magic-link').type('form').send({ email });
    expect(sent.status).toBe(303);
    const mail = await t.smtp!.waitForMessage(
      (m) => toAddress(m).toLowerCase() === email.toLowerCase(),
    );
    await t.settled();
    const link = new URL(linksIn(mail)[0]!);
    const received = {
      path: link.pathname + link.search,
      token: link.searchParams.get('code')!,
      state: link.searchParams.get('state')!,
      code: codeIn(mail)!,
    };
    expect(received.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(received.code).toMatch(/^[0-9]{6}$/);
    secrets.push(received.token, received.code);
    return received;
  }

  function since(start: number): MagicLinkEvent[] {
    return t.events.slice(start);
  }

  it('reports a code sign-in, failures and sign-out with the documented shapes', async () => {
    const start = t.events.length;
    const agent = request.agent(t.url);
    const alice = await ask(agent, 'Alice.Liddell@example.com');

    const wrong = String((Number(alice.code) + 1) % 1_000_000).padStart(6, '0');
    expect(
      (await agent.post('/auth/magic-link/verify').type('form').send({ code: wrong })).status,
    ).toBe(400);
    const tampered = alice.path.replace(
      /state=([^&])/,
      (_, c: string) => `state=${c === 'A' ? 'B' : 'A'}`,
    );
    expect((await agent.get(tampered)).status).toBe(400);
    const verified = await agent
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: alice.code });
    expect(verified.status).toBe(303);
    expect((await agent.get(alice.path)).status).toBe(400);
    expect((await agent.post('/auth/logout')).status).toBe(303);

    expect(since(start)).toEqual([
      { type: 'link_sent', email: 'A•••@example.com', ...timestamp },
      { type: 'sign_in_failed', reason: 'ERR_CODE_INVALID', ...timestamp },
      { type: 'sign_in_failed', reason: 'ERR_STATE_INVALID', ...timestamp },
      {
        type: 'sign_in',
        userId: expect.stringMatching(/^user_[A-Za-z0-9_-]{26}$/),
        // The profile carries the canonical address (F05); the email went to it as typed.
        email: 'a•••@example.com',
        method: 'code',
        ...timestamp,
      },
      { type: 'sign_in_failed', reason: 'ERR_LINK_EXPIRED', ...timestamp },
      { type: 'sign_out', ...timestamp },
    ]);
  });

  it('reports link and relayed sign-ins, and the open in the other browser', async () => {
    const start = t.events.length;
    const bobAgent = request.agent(t.url);
    const bob = await ask(bobAgent, 'bob@example.com');
    expect((await bobAgent.get(bob.path)).status).toBe(303);

    const carolAgent = request.agent(t.url);
    const carol = await ask(carolAgent, 'carol@example.org');
    const phone = request.agent(t.url);
    const relay = await phone.get(carol.path).set('Accept', 'application/json');
    expect(relay.status).toBe(200);
    const typed = await carolAgent
      .post('/auth/magic-link/verify')
      .type('form')
      .send({ code: relay.body.code });
    expect(typed.status).toBe(303);

    const events = since(start);
    expect(events.filter((e) => e.type === 'sign_in')).toEqual([
      expect.objectContaining({ email: 'b•••@example.com', method: 'link' }),
      expect.objectContaining({ email: 'c•••@example.org', method: 'relay' }),
    ]);
    expect(events.filter((e) => e.type === 'link_opened_elsewhere')).toEqual([
      expect.objectContaining({ email: 'c•••@example.org', via: 'callback' }),
    ]);
  });

  it('reports rate limiting with its scope, and no failure event for it', async () => {
    const start = t.events.length;
    const email = 'dave@example.com';
    secrets.push(email);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(t.url).post('/auth/magic-link').type('form').send({ email });
      statuses.push(res.status);
      await t.settled();
    }
    expect(statuses).toEqual([303, 303, 303, 429]);
    expect(since(start).map((e) => e.type)).toEqual([
      'link_sent',
      'link_sent',
      'link_sent',
      'rate_limited',
    ]);
    expect(since(start).at(-1)).toEqual({ type: 'rate_limited', scope: 'email', ...timestamp });
    // Collect the three codes and tokens that went out, so the privacy check covers them too.
    for (let i = 0; i < 3; i++) {
      const mail = await t.smtp!.waitForMessage((m) => toAddress(m) === email);
      const link = new URL(linksIn(mail)[0]!);
      secrets.push(link.searchParams.get('code')!, codeIn(mail)!);
    }
  });

  it('reports a refused email and an unreachable store as provider errors', async () => {
    const start = t.events.length;
    secrets.push('erin@example.com', 'frank@example.com');
    t.smtp!.rejectNext(1, 550);
    const mail = await request(t.url)
      .post('/auth/magic-link')
      .type('form')
      .send({ email: 'erin@example.com' });
    expect(mail.status).toBe(303);
    await t.settled();

    redis().kill();
    try {
      const store = await request(t.url)
        .post('/auth/magic-link')
        .type('form')
        .send({ email: 'frank@example.com' });
      expect(store.status).toBe(503);
    } finally {
      await redis().restart();
    }

    expect(since(start)).toEqual([
      { type: 'provider_error', reason: 'ERR_MAIL_FAILED', error: expect.anything(), ...timestamp },
      {
        type: 'provider_error',
        reason: 'ERR_STORE_UNAVAILABLE',
        error: expect.anything(),
        ...timestamp,
      },
    ]);
    const deadline = Date.now() + 15_000;
    while (client.status !== 'ready' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.status).toBe('ready');
  });

  it('keeps the address out of a provider error even when the SMTP server echoes it', async () => {
    const echo = 'grace.hopper@example.net';
    const server = await startSmtpServer({
      failWith: { code: 550, message: `5.1.1 <${echo}>: Recipient address rejected` },
    });
    const mailer = smtpMailer({ transport: server.url, from: 'Test <login@example.test>' });
    const app = await createTestApp({ provider: 'self-hosted', router: { delivery: mailer } });
    try {
      const res = await request(app.url).post('/auth/magic-link').send({ email: echo });
      expect(res.status).toBe(202);
      await app.settled();
      const [event] = app.events;
      expect(event).toEqual({
        type: 'provider_error',
        reason: 'ERR_MAIL_FAILED',
        error: expect.objectContaining({ responseCode: 550, command: 'RCPT TO' }),
        ...timestamp,
      });
      const shown = `${JSON.stringify(app.events)}\n${inspect(app.events, { depth: 10, showHidden: true })}`;
      expect(shown).toContain('Recipient address rejected');
      expect(shown).not.toContain(echo);
    } finally {
      mailer.close();
      await app.close();
      await server.close();
    }
  });

  it('never carries a raw token, a raw code or a full address, serialized or inspected', () => {
    expect(secrets.length).toBeGreaterThan(20);
    const serialized = JSON.stringify(t.events);
    const inspected = inspect(t.events, { depth: 10, showHidden: true });
    for (const secret of secrets) {
      expect(serialized).not.toContain(secret);
      expect(serialized.toLowerCase()).not.toContain(secret.toLowerCase());
      expect(inspected).not.toContain(secret);
    }
    expect(t.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['sign_in', 'sign_in_failed', 'rate_limited', 'provider_error']),
    );
  });
});
