import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH, parseEmail } from '../../lib/flow/email';
import type { EmailResult } from '../../lib/flow/email';

const NUM_RUNS = 10_000;

function expectOk(input: unknown): Extract<EmailResult, { ok: true }> {
  const result = parseEmail(input);
  if (!result.ok)
    throw new Error(`expected ${JSON.stringify(input)} to parse, got ${result.reason}`);
  return result;
}

/** Labels of at most 63 characters, joined with dots and ending in `.com`, exactly `length` long. */
function domainOfLength(length: number): string {
  const labels: string[] = [];
  let remaining = length - '.com'.length;
  while (remaining > 0) {
    const size = Math.min(63, remaining - (labels.length === 0 ? 0 : 1));
    labels.push('d'.repeat(size));
    remaining -= size + (labels.length === 1 ? 0 : 1);
  }
  const domain = `${labels.join('.')}.com`;
  if (domain.length !== length) throw new Error(`domainOfLength(${length}) built ${domain.length}`);
  return domain;
}

describe('parseEmail accepts plain addresses', () => {
  it.each([
    ['ann@example.com', 'ann@example.com', 'ann@example.com', 'ann@example.com'],
    ['Ann.Lee@Example.COM', 'Ann.Lee@example.com', 'ann.lee@example.com', 'ann.lee@example.com'],
    ['a+news@x.co', 'a+news@x.co', 'a+news@x.co', 'a@x.co'],
    ["o'brien@x.ie", "o'brien@x.ie", "o'brien@x.ie", "o'brien@x.ie"],
    [
      'a_b-c.d~e@sub-1.x9.example',
      'a_b-c.d~e@sub-1.x9.example',
      'a_b-c.d~e@sub-1.x9.example',
      'a_b-c.d~e@sub-1.x9.example',
    ],
    [
      'j.doe@xn--bcher-kva.example',
      'j.doe@xn--bcher-kva.example',
      'j.doe@xn--bcher-kva.example',
      'j.doe@xn--bcher-kva.example',
    ],
  ])('%j', (input, address, canonical, throttleKey) => {
    expect(parseEmail(input)).toEqual({ ok: true, address, canonical, throttleKey });
  });

  it('keeps the local part as typed in `address` and folds it only in `canonical`', () => {
    const result = expectOk('MiXeD@Example.com');
    expect(result.address).toBe('MiXeD@example.com');
    expect(result.canonical).toBe('mixed@example.com');
  });

  it('trims one surrounding run of pasted whitespace', () => {
    expect(expectOk('  \t ann@example.com \u00a0 ').address).toBe('ann@example.com');
  });
});

describe('parseEmail reports missing input', () => {
  it.each(['', ' ', '   \t  ', '\u00a0'])('%j is missing', (input) => {
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['a number', 42],
    ['an array', ['a@x.com']],
    ['two addresses as an array', ['a@x.com', 'b@y.com']],
    ['an object', { email: 'a@x.com' }],
    ['a boxed string', Object('a@x.com') as unknown],
    ['null', null],
    ['undefined', undefined],
  ])('%s is invalid, not missing', (_name, input) => {
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('parseEmail refuses header injection (threat model E1)', () => {
  it.each([
    'v@x.com\r\nBcc: s@evil.com',
    'v@x.com\nBcc: s@evil.com',
    'v@x.com\rBcc: s@evil.com',
    // `%0d%0a` reaches us already decoded by the body or query parser.
    decodeURIComponent('v@x.com%0d%0aBcc:%20s@evil.com'),
    decodeURIComponent('v@x.com%0aBcc:%20s@evil.com'),
    'v@x.com\r\n',
    '\r\nv@x.com',
    'v@x.com\n',
    'v@x.com\u0000',
    'v\u0000@x.com',
    'v@x.com\u2028Bcc: s@evil.com',
    'v@x.com\u0085Bcc: s@evil.com',
    'v@x.com\tBcc: s@evil.com',
    'v@x\u0007.com',
    'v@x.com\u007f',
    '\n',
    '\r\n',
  ])('%j', (input) => {
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('parseEmail refuses parser confusion (threat model E2)', () => {
  it.each([
    '"a@evil.com x"@victim.com',
    '"a"@victim.com',
    'a@x.com,b@y.com',
    'a@x.com;b@y.com',
    'a@x.com, b@y.com',
    'A <a@x.com>',
    '<a@x.com>',
    'a@x.com (comment)',
    '(comment)a@x.com',
    'a\uff20x.com',
    'a\ufe6bx.com',
    'a@b@c.com',
    'a@@x.com',
    '@x.com',
    'a@',
    'a',
    'a x@y.com',
    'a@x .com',
    'a@[127.0.0.1]',
    'a@[IPv6:::1]',
    'a@127.0.0.1',
    'a@x.123',
    'a@localhost',
    'a@x..com',
    'a@.x.com',
    'a@x.com.',
    'a@-x.com',
    'a@x-.com',
    'a@x_y.com',
    'a@x.c_m',
    'a@%41.com',
    'a@x.com:25',
    '.a@x.com',
    'a.@x.com',
    'a..b@x.com',
    'a!b@x.com',
    'a%b@x.com',
    'a/b@x.com',
    'a|b@x.com',
    'a`b@x.com',
    'a\\b@x.com',
    'ä@x.com',
    'а@x.com',
    'a@x.com\u200b',
    'a@exa\u200bmple.com',
    'a@exa\u00admple.com',
    'a@ex\u034fample.com',
    'a@\uff45xample.com',
    'a@example\u3002com',
    'a@sub.example\u3002com',
    'a@example\uff0ecom',
    'a@example\uff61com',
    'a@\u2488com.example',
    'a@\u{1f600}.example',
    'a@xn--.com',
    'a@xn--zz.com',
    // Punycode for an emoji label: refused just as its Unicode spelling is.
    'a@xn--e28h.example',
  ])('%j', (input) => {
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('parseEmail enforces length limits (threat model E3)', () => {
  const local64 = 'l'.repeat(MAX_LOCAL_PART_LENGTH);

  it('accepts an address of exactly 254 characters with a 64-character local part', () => {
    const input = `${local64}@${domainOfLength(MAX_EMAIL_LENGTH - 65)}`;
    expect(input).toHaveLength(254);
    expect(expectOk(input).address).toBe(input);
  });

  it('refuses an address of 255 characters', () => {
    const input = `${local64}@${domainOfLength(MAX_EMAIL_LENGTH - 64)}`;
    expect(input).toHaveLength(255);
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('refuses a 65-character local part', () => {
    expect(parseEmail(`${'l'.repeat(65)}@x.com`)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('accepts a 63-character label and refuses a 64-character one', () => {
    expect(parseEmail(`a@${'d'.repeat(63)}.com`).ok).toBe(true);
    expect(parseEmail(`a@${'d'.repeat(64)}.com`)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('refuses a domain over 253 characters', () => {
    expect(parseEmail(`a@${domainOfLength(254)}`)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('counts the length after punycode, not as typed', () => {
    const label = `ü${'b'.repeat(50)}`;
    const input = `a@${label}.${domainOfLength(MAX_EMAIL_LENGTH - 2 - label.length - 1 - 3)}`;
    const punycodeLabel = domainToASCII(label);
    expect(input.length).toBeLessThanOrEqual(MAX_EMAIL_LENGTH);
    expect(punycodeLabel.length).toBeLessThanOrEqual(63);
    expect(input.length - label.length + punycodeLabel.length).toBeGreaterThan(MAX_EMAIL_LENGTH);
    expect(parseEmail(input)).toEqual({ ok: false, reason: 'too_long' });
  });

  it('refuses megabyte input quickly', () => {
    const started = Date.now();
    expect(parseEmail(`${'a'.repeat(1_000_000)}@x.com`)).toEqual({ ok: false, reason: 'too_long' });
    expect(parseEmail(`a@${'ü'.repeat(1_000_000)}.com`)).toEqual({ ok: false, reason: 'too_long' });
    expect(parseEmail(`a${' '.repeat(1_000_000)}b@x.com`)).toEqual({
      ok: false,
      reason: 'too_long',
    });
    expect(parseEmail(' '.repeat(1_000_000))).toEqual({ ok: false, reason: 'missing' });
    // Linear work on these takes milliseconds, quadratic work hours; the bound is only there
    // to tell the two apart, with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('parseEmail canonicalises IDN domains without merging homoglyphs (threat model E4)', () => {
  it('gives the Unicode and punycode spellings the same canonical address', () => {
    const unicode = expectOk('user@bücher.example');
    const punycode = expectOk('user@xn--bcher-kva.example');
    expect(unicode.address).toBe('user@xn--bcher-kva.example');
    expect(unicode.canonical).toBe(punycode.canonical);
    expect(unicode.throttleKey).toBe(punycode.throttleKey);
  });

  it('folds case and Unicode normalisation in the domain', () => {
    const expected = 'user@xn--bcher-kva.example';
    expect(expectOk('user@BÜCHER.EXAMPLE').canonical).toBe(expected);
    expect(expectOk('user@XN--BCHER-KVA.example').canonical).toBe(expected);
    expect(expectOk('user@bu\u0308cher.example').canonical).toBe(expected);
  });

  it('keeps a Cyrillic look-alike domain apart from the Latin one', () => {
    const latin = expectOk('user@apple.com');
    const cyrillic = expectOk('user@\u0430pple.com');
    expect(cyrillic.canonical).toBe('user@xn--pple-43d.com');
    expect(cyrillic.canonical).not.toBe(latin.canonical);
    expect(cyrillic.throttleKey).not.toBe(latin.throttleKey);
  });

  it('keeps a Greek omicron domain apart from the Latin one', () => {
    expect(expectOk('user@g\u03bf\u03bfgle.com').canonical).not.toBe(
      expectOk('user@google.com').canonical,
    );
  });

  it('keeps ß apart from ss (WHATWG uses non-transitional UTS #46)', () => {
    expect(expectOk('a@straße.de').canonical).not.toBe(expectOk('a@strasse.de').canonical);
  });
});

describe('parseEmail throttleKey', () => {
  it.each([
    ['Ann+News@Example.com', 'ann@example.com'],
    ['ann+a+b@example.com', 'ann@example.com'],
    ['+only@example.com', '+only@example.com'],
    ['J.O.H.N+x@gmail.com', 'john@gmail.com'],
    ['john@googlemail.com', 'john@gmail.com'],
    ['j.ohn@GoogleMail.com', 'john@gmail.com'],
    ['j.ohn@example.com', 'j.ohn@example.com'],
    ['j.ohn@mail.gmail.com', 'j.ohn@mail.gmail.com'],
  ])('%j throttles as %j', (input, throttleKey) => {
    expect(expectOk(input).throttleKey).toBe(throttleKey);
  });

  it('never changes the address or canonical identity', () => {
    expect(expectOk('J.O.H.N+x@googlemail.com')).toEqual({
      ok: true,
      address: 'J.O.H.N+x@googlemail.com',
      canonical: 'j.o.h.n+x@googlemail.com',
      throttleKey: 'john@gmail.com',
    });
  });
});

// Arbitraries built from pieces that matter to the parser, so that fast-check reaches both valid
// addresses and near-misses far more often than uniformly random strings would.
const LOCAL_CHARS = [...'abcxyzABCXYZ0189', ..."#$&'*=?^_{}~-"];
const LABEL_CHARS_ASCII = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const UNICODE_LETTERS = [...'äöüßéñçøåæþðłžяжзкилμλπ日本語한국ไทย', 'e\u0301'];
const HOSTILE = [
  '@',
  '\uff20',
  '\ufe6b',
  '.',
  '..',
  '+',
  '-',
  '"',
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\u2028',
  ',',
  ';',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  ':',
  '\\',
  '%',
  '%0d%0a',
  '!',
  '/',
  '|',
  '`',
  '\u3002',
  '\uff0e',
  '\uff61',
  '\u200b',
  '\u200d',
  '\u00ad',
  '\u034f',
  '\ufe0f',
  '\uff45',
  '\u2488',
  '\u0430',
  '\u03bf',
  'xn--',
  'xn--bcher-kva',
  'gmail.com',
  'googlemail.com',
  '.com',
  '123',
  'Bcc: ',
  'l'.repeat(64),
  'd'.repeat(63),
];

const localArb = fc
  .array(fc.string({ unit: fc.constantFrom(...LOCAL_CHARS), minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 4,
  })
  .map((atoms) => atoms.join('.'));
const asciiLabelArb = fc
  .string({ unit: fc.constantFrom(...LABEL_CHARS_ASCII), minLength: 1, maxLength: 10 })
  .map((label) => (label.length > 2 ? `${label[0]}-${label.slice(1)}` : label));
const unicodeLabelArb = fc
  .array(fc.constantFrom(...UNICODE_LETTERS, ...LABEL_CHARS_ASCII), { minLength: 1, maxLength: 8 })
  .map((chars) => chars.join(''));
const tldArb = fc.constantFrom('com', 'example', 'de', 'co', 'xn--p1ai', 'рф', 'museum');
const domainArb = fc
  .tuple(fc.array(fc.oneof(asciiLabelArb, unicodeLabelArb), { minLength: 1, maxLength: 3 }), tldArb)
  .map(([labels, tld]) => [...labels, tld].join('.'));
const validishAddressArb = fc.tuple(localArb, domainArb).map(([l, d]) => `${l}@${d}`);
const fragmentArb = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.constantFrom(...LOCAL_CHARS),
  asciiLabelArb,
  unicodeLabelArb,
);
const mangledAddressArb = fc
  .tuple(
    fc.array(fragmentArb, { maxLength: 6 }),
    validishAddressArb,
    fc.array(fragmentArb, { maxLength: 6 }),
    fc.nat(40),
  )
  .map(([before, address, after, cut]) => {
    const mid = Math.min(cut, address.length);
    return `${address.slice(0, mid)}${before.join('')}${address.slice(mid)}${after.join('')}`;
  });
const anyInputArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.constantFrom(...HOSTILE, ...LOCAL_CHARS), maxLength: 40 }),
  fc.emailAddress(),
  validishAddressArb,
  mangledAddressArb,
  fc.anything(),
);

function checkOkInvariants(result: EmailResult): void {
  if (!result.ok) {
    expect(['missing', 'too_long', 'invalid']).toContain(result.reason);
    return;
  }
  const { address, canonical, throttleKey } = result;
  expect(address).toMatch(/^[\x21-\x7e]+$/);
  expect(address).not.toMatch(/[\s,;<>()[\]"\\]/);
  expect(address.split('@')).toHaveLength(2);
  expect(address.length).toBeLessThanOrEqual(MAX_EMAIL_LENGTH);
  expect(address.split('@')[0]!.length).toBeLessThanOrEqual(MAX_LOCAL_PART_LENGTH);
  expect(canonical).toBe(address.toLowerCase());
  expect(throttleKey).toMatch(/^[\x21-\x7e]+@[a-z0-9.-]+$/);
}

describe('parseEmail properties', () => {
  it('never throws and only returns well-formed results', () => {
    fc.assert(
      fc.property(anyInputArb, (input) => {
        checkOkInvariants(parseEmail(input));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('accepts every address from the conservative grammar', () => {
    fc.assert(
      fc.property(
        localArb,
        fc.array(asciiLabelArb, { minLength: 1, maxLength: 3 }),
        tldArb,
        (local, labels, tld) => {
          const domain = [...labels, tld].join('.');
          const result = parseEmail(`${local}@${domain}`);
          expect(result).toMatchObject({ ok: true, address: `${local}@${domainToASCII(domain)}` });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent: parsing `address` or `canonical` again changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(validishAddressArb, mangledAddressArb, fc.emailAddress()), (input) => {
        const first = parseEmail(input);
        fc.pre(first.ok);
        expect(parseEmail(first.address)).toEqual(first);
        const again = expectOk(first.canonical);
        expect(again.canonical).toBe(first.canonical);
        expect(again.throttleKey).toBe(first.throttleKey);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives Unicode and punycode spellings of a domain the same canonical', () => {
    fc.assert(
      fc.property(localArb, domainArb, (local, domain) => {
        const unicode = parseEmail(`${local}@${domain}`);
        fc.pre(unicode.ok);
        const punycode = expectOk(`${local}@${domainToASCII(domain).toUpperCase()}`);
        expect(punycode.canonical).toBe(unicode.canonical);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never merges a domain with a Cyrillic look-alike of it', () => {
    const latinToCyrillic: Record<string, string> = {
      a: '\u0430',
      c: '\u0441',
      e: '\u0435',
      o: '\u043e',
      p: '\u0440',
      x: '\u0445',
      y: '\u0443',
    };
    const latinLabelArb = fc.string({
      unit: fc.constantFrom(...'acdeopxy'),
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(latinLabelArb, fc.nat(), (label, at) => {
        const swappable = [...label].flatMap((ch, i) => (ch in latinToCyrillic ? [i] : []));
        fc.pre(swappable.length > 0);
        const i = swappable[at % swappable.length]!;
        const spoof = label.slice(0, i) + latinToCyrillic[label[i]!]! + label.slice(i + 1);
        const latin = expectOk(`user@${label}.com`);
        const cyrillic = expectOk(`user@${spoof}.com`);
        expect(cyrillic.canonical).not.toBe(latin.canonical);
        expect(cyrillic.throttleKey).not.toBe(latin.throttleKey);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives one throttleKey across case changes and +tags', () => {
    const baseLocalArb = localArb.filter((local) => !local.includes('+'));
    const tagArb = fc.string({ unit: fc.constantFrom(...LOCAL_CHARS, '+'), maxLength: 10 });
    fc.assert(
      fc.property(
        fc
          .tuple(baseLocalArb, domainArb)
          .chain(([local, domain]) =>
            fc.tuple(
              fc.constant(`${local}@${domain}`),
              fc.mixedCase(fc.constant(local)),
              fc.constant(domain),
              tagArb,
            ),
          ),
        ([plain, mixedLocal, domain, tag]) => {
          const base = parseEmail(plain);
          fc.pre(base.ok);
          // ASCII only: 'ß'.toUpperCase() is 'SS', which is a different domain, not a case change.
          const upperDomain = domain.replace(/[a-z]/g, (ch) => ch.toUpperCase());
          const variant = expectOk(`${mixedLocal}+${tag}@${upperDomain}`);
          expect(variant.throttleKey).toBe(base.throttleKey);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('gives one throttleKey across Gmail dots and googlemail.com', () => {
    const userArb = fc.string({
      unit: fc.constantFrom(...'abcdefgh0123'),
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(
        userArb,
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.boolean(),
        (user, cuts, googlemail) => {
          const positions = [...new Set(cuts.map((c) => 1 + (c % user.length)))].filter(
            (p) => p < user.length,
          );
          const dotted = [...user].map((ch, i) => (positions.includes(i) ? `.${ch}` : ch)).join('');
          const domain = googlemail ? 'googlemail.com' : 'gmail.com';
          expect(expectOk(`${dotted}@${domain}`).throttleKey).toBe(
            `${user.toLowerCase()}@gmail.com`,
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
