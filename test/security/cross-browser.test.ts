import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import {
  STACKS,
  cookieValue,
  expectRefused,
  paramsOf,
  requestCallback,
  SESSION_COOKIE,
  tokenCalls,
} from './flow';

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    fields[m[1]!] = m[2]!;
  }
  return fields;
}

describe.each(STACKS)(
  "S2: under crossDevice: 'confirm', a link opened in another browser needs confirmation (Express $express, SDK $sdk)",
  (stack) => {
    let t: TestApp;
    beforeEach(async () => {
      t = await createTestApp({ ...stack, router: { crossDevice: 'confirm' } });
    });
    afterEach(() => t.close());

    it('shows browser B a confirmation page, exchanges nothing, and A can still finish', async () => {
      const a = request.agent(t.url);
      const path = await requestCallback(t, a, 'alice@example.com', '/account');
      const b = request.agent(t.url);

      const page = await b.get(path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(cookieValue(page, SESSION_COOKIE)).toBeUndefined();
      // F07: the whole address, so a look-alike (a•••@example.com) cannot pass for it.
      expect(page.text).toContain('<strong>alice@example.com</strong>');
      expect(page.text).toMatch(/<form method="post" action="\/auth\/callback">/);
      expect(hiddenFields(page.text)).toEqual(paramsOf(path));
      expect(tokenCalls(t)).toBe(0);

      const head = await b.head(path);
      expect(head.status).toBe(200);
      expect(cookieValue(head, SESSION_COOKIE)).toBeUndefined();
      expect(tokenCalls(t)).toBe(0);
      expect((await b.get('/account').set('Accept', 'application/json')).status).toBe(401);

      const landed = await a.get(path);
      expect(landed.status).toBe(303);
      expect(landed.headers.location).toBe('/account');
      expect((await a.get('/account')).body.email).toBe('alice@example.com');
      expect((await b.get('/account').set('Accept', 'application/json')).status).toBe(401);
    });

    it('answers a JSON client in browser B with confirmation_required and no session', async () => {
      const a = request.agent(t.url);
      const path = await requestCallback(t, a);
      const res = await request(t.url).get(path).set('Accept', 'application/json');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'confirmation_required', email: 'a•••@example.com' });
      expect(cookieValue(res, SESSION_COOKIE)).toBeUndefined();
      expect(tokenCalls(t)).toBe(0);
    });

    it("signs browser B in only when B presses the page's button (same-origin POST)", async () => {
      const a = request.agent(t.url);
      const path = await requestCallback(t, a, 'alice@example.com', '/account');
      const b = request.agent(t.url);
      const fields = hiddenFields((await b.get(path)).text);

      const confirmed = await b
        .post('/auth/callback')
        .set('Origin', t.url)
        .set('Sec-Fetch-Site', 'same-origin')
        .type('form')
        .send(fields);
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.location).toBe('/account');
      expect(cookieValue(confirmed, SESSION_COOKIE)).toBeDefined();
      expect(tokenCalls(t)).toBe(1);
      expect((await b.get('/account')).body.email).toBe('alice@example.com');
      expect(t.events.at(-1)).toMatchObject({ type: 'sign_in', method: 'confirmed' });

      // The link is spent now, in A too.
      expectRefused(await a.get(path), 400);
    });
  },
);

describe("S2: crossDevice: 'deny'", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ router: { crossDevice: 'deny' } });
  });
  afterEach(() => t.close());

  it('refuses browser B with 403, exchanges nothing, and A can still finish', async () => {
    const a = request.agent(t.url);
    const path = await requestCallback(t, a);
    const b = request.agent(t.url);

    const page = await b.get(path);
    expectRefused(page, 403);
    expect(page.text).toContain('Open the link in the browser you used');
    expect(page.text).not.toContain('action="/auth/callback"');

    const posted = await b
      .post('/auth/callback')
      .set('Origin', t.url)
      .type('form')
      .send(paramsOf(path));
    expectRefused(posted, 403);
    const json = await b.get(path).set('Accept', 'application/json');
    expectRefused(json, 403);
    expect(json.body.error).toBe('cross_device_denied');
    expect(tokenCalls(t)).toBe(0);

    expect((await a.get(path)).status).toBe(303);
    expect((await a.get('/account')).status).toBe(200);
  });
});
