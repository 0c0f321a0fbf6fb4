import request from 'supertest';
import { sealedCookieSession } from '../../lib/index';
import { createSealer } from '../../lib/flow/seal';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail, pendingCookieOf } from '../helpers/sign-in';
import { cookieValue } from './flow';

/**
 * Hardening round 2, "smaller": a base64url string whose length is not a multiple of 4 has
 * spare low bits in its last character, which Node's decoder ignores. Only the spelling the
 * package wrote is accepted, for sealed values (state, wrapped links, session cookies) and for
 * the pending cookie's MAC.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SECRET = 'canonical-base64-test-secret-0123456789abcdef';

/** The same bytes spelled otherwise (a spare bit of the last character set), or null if none. */
function variant(token: string): string | null {
  if (token.length % 4 === 0) return null;
  const last = ALPHABET.indexOf(token.at(-1)!);
  const other = `${token.slice(0, -1)}${ALPHABET[last ^ 1]}`;
  // It must decode to the very same bytes, or this would test nothing.
  expect(Buffer.from(other, 'base64url').equals(Buffer.from(token, 'base64url'))).toBe(true);
  return other;
}

describe('non-canonical base64url is refused', () => {
  it('by the sealer, for every length with spare bits, cached or not', () => {
    const sealers = [createSealer([SECRET], 'test'), createSealer([SECRET], 'test', { cache: 10 })];
    let checked = 0;
    for (const sealer of sealers) {
      for (let n = 0; n < 6; n++) {
        const token = sealer.seal('x'.repeat(n), 60_000);
        const other = variant(token);
        if (other === null) continue;
        expect(sealer.unseal(token)).toMatchObject({ ok: true, value: 'x'.repeat(n) });
        expect(sealer.unseal(other)).toEqual({ ok: false, reason: 'invalid' });
        checked += 1;
      }
    }
    // Both residues with spare bits (2 and 3 mod 4) came up, for both sealers.
    expect(checked).toBe(8);
  });

  describe('over HTTP', () => {
    let t: TestApp;
    afterEach(() => t.close());

    it("the pending cookie: another spelling of its MAC does not hold the link's binding", async () => {
      t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
      const email = 'pending@example.com';
      const cookie = pendingCookieOf(await askForLink(request.agent(t.url), email));
      const [nonce, mac] = cookie.split('.') as [string, string];
      const path = pathOf((await nextEmail(t, email)).link);
      const spoofed = await request(t.url)
        .get(path)
        .set('Cookie', `mlink=${nonce}.${variant(mac)!}`);
      // Not the browser that asked: the relay page, and no session.
      expect(spoofed.status).toBe(200);
      expect(spoofed.text).toContain('Finish signing in where you asked');
      const genuine = await request(t.url).get(path).set('Cookie', `mlink=${cookie}`);
      expect(genuine.status).toBe(303);
      expect(genuine.headers.location).toBe('/account');
    });

    it('the state in a link: another spelling is refused, the link itself works', async () => {
      t = await createTestApp({ provider: 'self-hosted', rateLimit: false });
      // The state's length depends on the address: try a few until it has spare bits.
      for (let n = 0; ; n++) {
        const email = `${'s'.repeat(n + 1)}@example.com`;
        const agent = request.agent(t.url);
        await askForLink(agent, email);
        const link = new URL((await nextEmail(t, email)).link);
        const other = variant(link.searchParams.get('state')!);
        if (other === null) {
          expect(n).toBeLessThan(4);
          continue;
        }
        const spoofed = new URL(link);
        spoofed.searchParams.set('state', other);
        const refused = await agent.get(pathOf(spoofed.href));
        expect(refused.status).toBe(400);
        expect((await agent.get(pathOf(link.href))).status).toBe(303);
        return;
      }
    });

    it('the sealed session cookie: another spelling is signed out', async () => {
      t = await createTestApp({
        provider: 'self-hosted',
        rateLimit: false,
        expressSession: false,
        router: { session: sealedCookieSession({ secret: SECRET }) },
      });
      for (let n = 0; ; n++) {
        const email = `${'c'.repeat(n + 1)}@example.com`;
        const agent = request.agent(t.url);
        await askForLink(agent, email);
        const landed = await agent.get(pathOf((await nextEmail(t, email)).link));
        const session = cookieValue(landed, 'mlsession')!;
        const other = variant(session);
        if (other === null) {
          expect(n).toBeLessThan(4);
          continue;
        }
        const as = (value: string) =>
          request(t.url).get('/account').set('Cookie', `mlsession=${value}`);
        expect((await as(session)).status).toBe(200);
        expect((await as(other)).status).toBe(303);
        return;
      }
    });
  });
});
