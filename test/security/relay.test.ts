import request from 'supertest';
import { createTestApp, follow, pathOf } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink, formOf, nextEmail, setsSession } from '../helpers/sign-in';
import { requestCallback } from './flow';

// crossDevice: 'relay' (the default): a link opened in a browser that did not ask never signs
// that browser in. It shows a 6-digit code; the browser that asked types it and signs in.

type Agent = request.Agent;

interface Setup {
  name: string;
  app: TestAppOptions;
  /** Asks for a link as `agent`; the path a browser lands on when it opens it. */
  ask(t: TestApp, agent: Agent, email: string): Promise<string>;
  /** The email itself carries a code (self-hosted, Magic Auth with our email). */
  emailCodes: boolean;
}

const SETUPS: Setup[] = [
  {
    name: 'self-hosted, our email',
    app: { provider: 'self-hosted' },
    emailCodes: true,
    async ask(t, agent, email) {
      await askForLink(agent, email);
      return pathOf((await nextEmail(t, email)).link);
    },
  },
  {
    name: 'WorkOS Magic Auth, our email (code and sealed link)',
    app: { provider: 'workos-magic-auth', delivery: 'smtp' },
    emailCodes: true,
    async ask(t, agent, email) {
      await askForLink(agent, email);
      return pathOf((await nextEmail(t, email)).link);
    },
  },
  {
    name: 'WorkOS Magic Link, our email (wrapped links)',
    app: { provider: 'workos', delivery: 'smtp' },
    emailCodes: false,
    async ask(t, agent, email) {
      await askForLink(agent, email);
      return pathOf((await nextEmail(t, email)).link);
    },
  },
  {
    name: "WorkOS Magic Link, WorkOS's email (the code arrives on the redirect)",
    app: { provider: 'workos', delivery: 'workos' },
    emailCodes: false,
    ask: (t, agent, email) => requestCallback(t, agent, email, '/account'),
  },
];

const json = (agent: Agent | ReturnType<typeof request>, path: string) =>
  agent.get(path).set('Accept', 'application/json');

async function signedInAs(agent: Agent): Promise<string | null> {
  const res = await json(agent, '/account');
  return res.status === 200 ? (res.body.email as string) : null;
}

function relayCodeOf(page: string): string {
  const code = /<p class="code" id="relay-code">([0-9]{6})<\/p>/.exec(page)?.[1];
  if (!code) throw new Error(`No relay code on the page: ${page.slice(0, 300)}`);
  return code;
}

function typeCode(agent: Agent, code: string) {
  return agent.post('/auth/magic-link/verify').type('form').send({ code });
}

/** The person's own click: our link, then (for wrapped links) WorkOS's, then our callback. */
async function click(t: TestApp, agent: Agent, path: string): Promise<request.Response> {
  let res = await agent.get(path);
  while (res.status === 303 && !String(res.headers.location).startsWith('/')) {
    res = await agent.get(pathOf(await follow(res.headers.location as string)));
  }
  return res;
}

const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe.each(SETUPS)('relay ($name)', (setup) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ ...setup.app, rateLimit: false });
  });
  afterEach(() => t.close());

  it('shows another browser a code and no form, signs nobody in there, and the browser that asked finishes with it', async () => {
    const a = request.agent(t.url);
    const b = request.agent(t.url);
    const path = await setup.ask(t, a, 'alice@example.com');

    const page = await b.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Finish signing in where you asked');
    expect(page.text).not.toMatch(/<form|<script/i);
    expect(setsSession(page)).toBe(false);
    const code = relayCodeOf(page.text);
    expect(await signedInAs(b)).toBeNull();

    // The same code wherever and however often the link is opened; HEAD and JSON spend nothing.
    const head = await request(t.url).head(path);
    expect(head.status).toBe(200);
    expect(setsSession(head)).toBe(false);
    const api = await json(request(t.url), path);
    expect(api.status).toBe(200);
    expect(api.body).toEqual({ status: 'relay_required', code });
    expect(relayCodeOf((await request(t.url).get(path)).text)).toBe(code);

    // The sent page of the browser that asked takes the code.
    const sent = await a.get('/auth/magic-link/sent');
    expect(formOf(sent.text).action).toBe('/auth/magic-link/verify');
    const done = await typeCode(a, code);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account');
    expect(await signedInAs(a)).toBe('alice@example.com');
    expect(await signedInAs(b)).toBeNull();
    expect(t.events.filter((e) => e.type === 'sign_in')).toEqual([
      expect.objectContaining({ method: 'relay' }),
    ]);

    // Spent: the code again, or the link, no longer sign anyone in.
    const c = request.agent(t.url);
    expect((await typeCode(a, code)).status).toBe(400);
    expect(setsSession(await c.get(path))).toBe(false);
    expect(await signedInAs(c)).toBeNull();
  });

  it("a form-submitting scanner in another browser gets no session, and the person's own click still works", async () => {
    const a = request.agent(t.url);
    const path = await setup.ask(t, a, 'bob@example.com');
    const scanner = request.agent(t.url);
    const origin = new URL(t.url).origin;
    for (const method of ['head', 'get'] as const) {
      const res = await scanner[method](path).set('User-Agent', 'Mozilla/5.0 HeadlessChrome/126');
      expect(setsSession(res)).toBe(false);
    }
    // What a detonating scanner would post, had the page a form: the confirmation fields.
    const params = Object.fromEntries(new URL(path, t.url).searchParams);
    const target = path.startsWith('/auth/callback') ? '/auth/callback' : '/auth/magic-link/open';
    const posted = await scanner
      .post(target)
      .set('Origin', origin)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send(params);
    expect(posted.status).toBe(200);
    expect(posted.text).toContain('Finish signing in where you asked');
    expect(setsSession(posted)).toBe(false);
    expect(await signedInAs(scanner)).toBeNull();

    const own = await click(t, a, path);
    expect(own.status).toBe(303);
    expect(own.headers.location).toBe('/account');
    expect(await signedInAs(a)).toBe('bob@example.com');
  });

  it('locks a relayed sign-in after 5 wrong codes; opening the link again shows the code again', async () => {
    const a = request.agent(t.url);
    const path = await setup.ask(t, a, 'carol@example.com');
    const code = relayCodeOf((await request(t.url).get(path)).text);
    for (let i = 0; i < 5; i++) {
      const res = await typeCode(a, wrong(code));
      expect(res.status).toBe(400);
      expect(res.text).toContain('That code is not right, or it has expired.');
    }
    // The relayed sign-in is gone; a provider with email codes has also locked its own by now.
    expect([400, 429]).toContain((await typeCode(a, code)).status);
    expect(await signedInAs(a)).toBeNull();

    expect(relayCodeOf((await request(t.url).get(path)).text)).toBe(code);
    // Wrong codes never reach WorkOS (Magic Auth compares them against the code it holds), so
    // nothing there locked the code the link carries.
    expect((await typeCode(a, code)).status).toBe(303);
    expect(await signedInAs(a)).toBe('carol@example.com');
  });

  it('a code typed in a browser that did not ask is refused', async () => {
    const a = request.agent(t.url);
    const path = await setup.ask(t, a, 'dave@example.com');
    const code = relayCodeOf((await request(t.url).get(path)).text);
    const mallory = request.agent(t.url);
    await askForLink(mallory, 'mallory@example.com');
    expect((await typeCode(mallory, code)).status).toBe(400);
    expect(await signedInAs(mallory)).toBeNull();
    expect((await typeCode(a, code)).status).toBe(303);
  });

  if (setup.emailCodes) {
    it("the email's own code works too, and then the relay code finds its sign-in spent", async () => {
      const a = request.agent(t.url);
      await askForLink(a, 'erin@example.com');
      const { link, code: emailCode } = await nextEmail(t, 'erin@example.com');
      const relayed = relayCodeOf((await request(t.url).get(pathOf(link))).text);
      expect(emailCode).toMatch(/^[0-9]{6}$/);
      expect(relayed).not.toBe(emailCode);
      expect((await typeCode(a, emailCode!)).status).toBe(303);
      expect(await signedInAs(a)).toBe('erin@example.com');
      expect((await typeCode(a, relayed)).status).toBe(400);
    });
  }
});

describe('link_opened_elsewhere', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
  });
  afterEach(() => t.close());

  it('classifies each open without the binding, with the masked address and never a secret', async () => {
    const a = request.agent(t.url);
    await askForLink(a, 'grace@example.com');
    const { link, code } = await nextEmail(t, 'grace@example.com');
    const path = pathOf(link);
    await request(t.url).head(path).set('User-Agent', 'Mozilla/5.0 Chrome/126');
    await request(t.url).get(path).set('User-Agent', 'Mozilla/5.0 HeadlessChrome/126');
    await request(t.url).get(path).set('User-Agent', 'Mozilla/5.0 (X11) Chrome/126 Safari/537');
    await a.get(path);

    const opened = t.events.filter((e) => e.type === 'link_opened_elsewhere');
    expect(opened.map((e) => e.type === 'link_opened_elsewhere' && e.classification)).toEqual([
      'head',
      'scanner',
      'quick',
    ]);
    for (const event of opened) {
      expect(event).toMatchObject({ email: 'g•••@example.com', via: 'callback' });
      expect((event as { sinceSentMs: number }).sinceSentMs).toBeGreaterThanOrEqual(0);
      const text = JSON.stringify(event);
      expect(text).not.toContain('grace@');
      expect(text).not.toContain(new URL(link).searchParams.get('code')!);
      expect(text).not.toContain(code!);
    }
  });
});
