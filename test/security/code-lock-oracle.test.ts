import request from 'supertest';
import { createTestApp } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink } from '../helpers/sign-in';

// T7 (enumeration through the code lock): a browser asks for a sign-in, then types wrong codes.
// If only a browser with a code on record could be locked, the answers would tell an address
// that may sign in from one that may not (allow() refused it, or WorkOS has sign-up off).

const WRONG = '000000';

async function answersToWrongCodes(t: TestApp, email: string, tries: number): Promise<number[]> {
  const agent = request.agent(t.url);
  await askForLink(agent, email);
  await t.settled();
  const statuses: number[] = [];
  for (let i = 0; i < tries; i++) {
    const res = await agent.post('/auth/magic-link/verify').type('form').send({ code: WRONG });
    statuses.push(res.status);
  }
  return statuses;
}

const CASES: { name: string; app: TestAppOptions; allowed: string; refused: string }[] = [
  {
    name: 'self-hosted, allow() refuses one address',
    app: {
      provider: 'self-hosted',
      rateLimit: false,
      router: { allow: (email) => !email.startsWith('refused') },
    },
    allowed: 'allowed@example.com',
    refused: 'refused@example.com',
  },
  {
    name: 'WorkOS Magic Auth, sign-up off and one known user',
    app: {
      provider: 'workos-magic-auth',
      delivery: 'smtp',
      rateLimit: false,
      emulator: { allowSignUp: false, users: [{ email: 'known@example.com' }] },
    },
    allowed: 'known@example.com',
    refused: 'unknown@example.com',
  },
];

describe.each(CASES)('T7: the code lock says nothing about the address ($name)', (c) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(c.app);
  });
  afterEach(() => t.close());

  it('answers wrong codes alike, lock included, whether or not an email went out', async () => {
    const allowed = await answersToWrongCodes(t, c.allowed, 7);
    const refused = await answersToWrongCodes(t, c.refused, 7);
    expect(allowed).toContain(429);
    expect(refused).toEqual(allowed);
  });
});
