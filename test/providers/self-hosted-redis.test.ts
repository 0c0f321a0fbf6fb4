// F06 / threat model A5 and A11 on Redis: the per-address budget on code checks (the flow's
// createCodeBudget, which verifyCode charges before it compares) is counted atomically
// (increment first, then compare), so parallel guesses cannot slip past it.
import type Redis from 'ioredis';
import { MagicLinkError, redisStore, selfHostedProvider } from '../../lib/index';
import type { Provider } from '../../lib/index';
import { createCodeBudget } from '../../lib/flow/rate-limit';
import type { CodeBudget } from '../../lib/flow/rate-limit';
import { connectIoredis, describeWithRedis } from '../helpers/redis';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const EMAIL = 'target@example.com';
const LINKS = 30;
const CAP = 100;

describeWithRedis('self-hosted code cap on Redis', (redis) => {
  let client: Redis;
  let provider: Provider;
  let budget: CodeBudget;
  /** What the flow hands verifyCode: the budget, keyed as the flow keys it. */
  const reserve = (email: string) => budget.reserve(email.toLowerCase());
  beforeAll(async () => {
    client = await connectIoredis(redis().url);
  });
  afterAll(() => client.disconnect());
  beforeEach(async () => {
    await client.flushall();
    provider = selfHostedProvider();
    provider.init!({ store: redisStore(client), secrets: [SECRET] });
    budget = createCodeBudget(redisStore(client));
  });

  async function startFor(binding: string): Promise<string> {
    const started = await provider.start(EMAIL, {
      state: `state-${binding}`,
      redirectUri: 'http://127.0.0.1:9/auth/callback',
      binding,
      providerSends: false,
    });
    return started.code!;
  }

  it(`checks at most ${CAP} codes for one address when ${LINKS * 5} wrong ones race`, async () => {
    const bindings = Array.from({ length: LINKS }, (_, i) => `binding-${i}`);
    const codes = await Promise.all(bindings.map(startFor));
    const guesses = bindings.flatMap((binding, i) =>
      [1, 2, 3, 4, 5].map((n) =>
        provider.verifyCode!(
          binding,
          String((Number(codes[i]) + n) % 1_000_000).padStart(6, '0'),
          undefined,
          reserve,
        ).catch((err: unknown) => err),
      ),
    );
    const outcomes = await Promise.all(guesses);
    expect(outcomes.every((o) => o instanceof MagicLinkError)).toBe(true);
    const byCode = new Map<string, number>();
    for (const o of outcomes as MagicLinkError[]) byCode.set(o.code, (byCode.get(o.code) ?? 0) + 1);
    expect(byCode.get('ERR_CODE_INVALID')).toBe(CAP);
    expect(byCode.get('ERR_CODE_LOCKED')).toBe(LINKS * 5 - CAP);

    // Locked for codes, even the right one; every key it wrote expires.
    const fresh = await startFor('binding-fresh');
    await expect(
      provider.verifyCode!('binding-fresh', fresh, undefined, reserve),
    ).rejects.toMatchObject({
      code: 'ERR_CODE_LOCKED',
    });
    for (const key of await client.keys('*')) expect(await client.pttl(key)).toBeGreaterThan(0);
  });
});
