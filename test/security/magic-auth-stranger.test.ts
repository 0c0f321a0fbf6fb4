// Finding G04 of issue 18, threat model A6 for Magic Auth: a stranger who asks for a code for
// the owner's address must not void the code the owner is about to type, nor the link in our
// email. WorkOS voids an address's earlier code when it creates a new one; the emulator can do
// either (magicAuthVoidsEarlierCode), and the provider must be safe under both.
import request from 'supertest';
import { createTestApp, pathOf } from '../helpers/app';
import type { TestApp } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';

type Agent = request.Agent;

const OWNER = 'owner@example.com';
const CREATE = '/user_management/magic_auth';

let ipSeq = 0;
function browser(t: TestApp): Agent {
  ipSeq += 1;
  return request.agent(t.url).set('X-Forwarded-For', `198.18.7.${ipSeq % 250}`);
}

function typeCode(agent: Agent, code: string) {
  return agent.post('/auth/magic-link/verify').type('form').send({ code });
}

async function signedInAs(agent: Agent): Promise<string | null> {
  const res = await agent.get('/account').set('Accept', 'application/json');
  return res.status === 200 ? (res.body.email as string) : null;
}

const CASES = [true, false].flatMap((voids) =>
  (['smtp', 'workos'] as const).map((delivery) => ({
    voids,
    delivery,
    name: `${delivery === 'smtp' ? 'our email' : "WorkOS's email"}, a new code ${voids ? 'voids' : 'keeps'} the earlier one`,
  })),
);

describe.each(CASES)(
  "G04: a stranger asks for the owner's address ($name)",
  ({ voids, delivery }) => {
    let t: TestApp;
    beforeEach(async () => {
      t = await createTestApp({
        provider: 'workos-magic-auth',
        delivery,
        trustProxy: true,
        // The default (true) is left unset, so this file also runs against an older emulator.
        ...(voids ? {} : { emulator: { magicAuthVoidsEarlierCode: false } }),
      });
    });
    afterEach(() => t.close());

    /** Asks as `agent`; the code (and, with our email, the link) the owner's mailbox receives. */
    async function ask(agent: Agent): Promise<{ code: string; link: string | null }> {
      await askForLink(agent, OWNER);
      if (delivery === 'smtp') {
        const { code, link } = await nextEmail(t, OWNER);
        return { code: code!, link };
      }
      await t.settled();
      return { code: t.emulator!.magicAuthOutbox.at(-1)!.code, link: null };
    }

    it("the owner's code still signs the owner in after the stranger's request", async () => {
      const owner = browser(t);
      const mine = await ask(owner);
      const stranger = browser(t);
      await askForLink(stranger, OWNER);
      await t.settled();
      if (delivery === 'smtp') {
        // The owner's mailbox gets the same, still live, code again; the stranger sees nothing.
        expect((await nextEmail(t, OWNER)).code).toBe(mine.code);
      }
      // WorkOS was asked for one code only.
      expect(t.emulator!.requests.filter((r) => r.path === CREATE)).toHaveLength(1);

      const res = await typeCode(owner, mine.code);
      expect(res.status).toBe(303);
      expect(await signedInAs(owner)).toBe(OWNER);
      expect(await signedInAs(stranger)).toBeNull();
    });

    if (delivery === 'smtp') {
      it("the owner's link still signs the owner in after the stranger's request", async () => {
        const owner = browser(t);
        const mine = await ask(owner);
        const stranger = browser(t);
        await askForLink(stranger, OWNER);
        await nextEmail(t, OWNER);
        const res = await owner.get(pathOf(mine.link!));
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/account');
        expect(await signedInAs(owner)).toBe(OWNER);
        expect(await signedInAs(stranger)).toBeNull();
      });
    }

    it('once the code is used, the next request gets a new code that works', async () => {
      const owner = browser(t);
      const first = await ask(owner);
      expect((await typeCode(owner, first.code)).status).toBe(303);
      const again = browser(t);
      const second = await ask(again);
      expect(t.emulator!.requests.filter((r) => r.path === CREATE)).toHaveLength(2);
      expect((await typeCode(again, second.code)).status).toBe(303);
      expect(await signedInAs(again)).toBe(OWNER);
    });
  },
);
