import { randomBytes } from 'node:crypto';
import { MagicLinkError } from '../../lib/errors';
import type { MagicLinkProfile } from '../../lib/profile';
import type { Provider } from '../../lib/providers/provider';
import { signInOf } from '../../lib/providers/provider';
import { providerConformanceCases } from '../../lib/testing/index';

interface Issued {
  email: string;
  binding: string;
  state: string;
  otp: string;
}

/** A small, correct in-memory provider; each test breaks one rule of it. */
function goodProvider(): Provider & { issued: Map<string, Issued> } {
  const issued = new Map<string, Issued>();
  const profile = (email: string): MagicLinkProfile => ({
    id: `user_${email.toLowerCase()}`,
    idpId: email.toLowerCase(),
    organizationId: null,
    connectionId: 'conn_good',
    connectionType: 'MagicLink',
    email,
    firstName: null,
    lastName: null,
    rawAttributes: {},
  });
  return {
    issued,
    name: 'good',
    linkTtlMs: 15 * 60 * 1000,
    async start(email, ctx) {
      const code = randomBytes(24).toString('base64url');
      const otp = String(100_000 + (randomBytes(3).readUIntBE(0, 3) % 900_000));
      issued.set(code, { email, binding: ctx.binding, state: ctx.state, otp });
      const link = new URL(ctx.redirectUri);
      link.searchParams.set('code', code);
      return {
        link: ctx.providerSends ? null : link.href,
        expiresAt: new Date(Date.now() + 15 * 60 * 1000),
        code: otp,
        revoke: async () => {
          issued.delete(code);
        },
      };
    },
    async finish(code) {
      const entry = issued.get(code);
      issued.delete(code);
      if (!entry) throw new MagicLinkError('ERR_LINK_INVALID', 'unknown code');
      return profile(entry.email);
    },
    async verifyCode(binding, otp) {
      for (const [code, entry] of issued) {
        if (entry.binding === binding && entry.otp === otp) {
          issued.delete(code);
          return { profile: profile(entry.email), state: entry.state };
        }
      }
      throw new MagicLinkError('ERR_CODE_INVALID', 'wrong code');
    },
  };
}

async function failures(makeProvider: () => Provider): Promise<string[]> {
  const failed: string[] = [];
  for (const c of providerConformanceCases(makeProvider)) {
    await c.run().catch(() => failed.push(c.name));
  }
  return failed;
}

describe('providerConformanceCases', () => {
  it('lists named cases with run functions', () => {
    const cases = providerConformanceCases(goodProvider);
    expect(cases.length).toBeGreaterThan(10);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it('a correct provider passes every case', async () => {
    expect(await failures(goodProvider)).toEqual([]);
  });

  it('a correct provider declaring remote: false, or remote: true, passes every case', async () => {
    for (const remote of [false, true]) {
      expect(await failures(() => ({ ...goodProvider(), capabilities: { remote } }))).toEqual([]);
    }
  });

  it('calls init with a fresh store and the secrets, once per case', async () => {
    const inits: unknown[] = [];
    const cases = providerConformanceCases(() => ({
      ...goodProvider(),
      init: (context) => inits.push(context),
    }));
    await cases[0]!.run();
    await cases[1]!.run();
    expect(inits).toHaveLength(2);
    expect(inits[0]).toMatchObject({ secrets: [expect.any(String)] });
    expect(inits[0]).not.toBe(inits[1]);
  });

  it.each<[string, (p: ReturnType<typeof goodProvider>) => Provider, RegExp]>([
    ['a blank name', (p) => ({ ...p, name: ' ' }), /^name/],
    [
      'a capabilities.remote that is not a boolean',
      (p) => ({ ...p, capabilities: { remote: 'yes' as unknown as boolean } }),
      /^capabilities, when declared/,
    ],
    ['linkTtlMs of 0', (p) => ({ ...p, linkTtlMs: 0 }), /^linkTtlMs/],
    ['a fractional linkTtlMs', (p) => ({ ...p, linkTtlMs: 900.5 }), /^linkTtlMs/],
    [
      'an expiresAt in the past',
      (p) => ({
        ...p,
        start: async (email, ctx) => ({
          ...(await p.start(email, ctx)),
          expiresAt: new Date(Date.now() - 1000),
        }),
      }),
      /^start returns expiresAt/,
    ],
    [
      'a plain Error for garbage',
      (p) => ({
        ...p,
        finish: async (code) => {
          if (!p.issued.has(code)) throw new Error('nope');
          return p.finish(code);
        },
      }),
      /^finish of garbage/,
    ],
    [
      'a reusable code',
      (p) => ({
        ...p,
        finish: async (code) => {
          const entry = p.issued.get(code);
          if (!entry) throw new MagicLinkError('ERR_LINK_INVALID', 'unknown');
          const profile = await p.finish(code);
          p.issued.set(code, entry);
          return profile;
        },
      }),
      /second time is refused|concurrent finishes/,
    ],
    [
      'ids that depend on case',
      (p) => ({
        ...p,
        finish: async (code) => {
          const { profile } = signInOf(await p.finish(code));
          return { ...profile, id: `user_${profile.email}` };
        },
      }),
      /^ids are stable/,
    ],
    [
      'a verifyCode that ignores the binding',
      (p) => ({
        ...p,
        verifyCode: async (_binding, otp) => {
          const entry = [...p.issued.values()].find((e) => e.otp === otp);
          return p.verifyCode!(entry ? entry.binding : 'none', otp);
        },
      }),
      /another browser/,
    ],
    [
      'a verifyCode that leaves the link usable',
      (p) => ({
        ...p,
        verifyCode: async (binding, otp) => {
          const saved = new Map(p.issued);
          const result = await p.verifyCode!(binding, otp);
          for (const [code, entry] of saved) if (entry.otp !== otp) p.issued.set(code, entry);
          for (const [code, entry] of saved)
            if (entry.otp === otp) p.issued.set(code, { ...entry, otp: '' });
          return result;
        },
      }),
      /spends the link too/,
    ],
    [
      'a verifyCode that fails with a plain Error',
      (p) => ({
        ...p,
        verifyCode: async () => {
          throw new Error('wrong');
        },
      }),
      /wrong code rejects/,
    ],
    [
      'a verifyCode that fails with a plain Error when the browser has no pending sign-in',
      (p) => ({
        ...p,
        verifyCode: async (binding, otp) => {
          if (![...p.issued.values()].some((e) => e.binding === binding))
            throw new Error('no such binding');
          return p.verifyCode!(binding, otp);
        },
      }),
      /no pending sign-in is refused/,
    ],
  ])('catches %s', async (_, breakIt, expected) => {
    const failed = await failures(() => breakIt(goodProvider()));
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((name) => expected.test(name))).toBe(true);
  });
});
