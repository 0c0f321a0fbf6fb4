import fc from 'fast-check';
import {
  DEFAULT_PRIMARY_COLOR,
  defaultEmailTemplate,
  escapeHtml,
  formatExpiresIn,
  validateBranding,
} from '../../lib/mail/templates';
import type { EmailTemplateData } from '../../lib/mail/templates';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const LINK = 'https://app.example.com/auth/callback?code=abc_123&state=s.t-u';

function data(overrides: Partial<EmailTemplateData> = {}): EmailTemplateData {
  return {
    to: 'ada@example.com',
    link: LINK,
    code: '123456',
    expiresAt: new Date(NOW.getTime() + 15 * 60_000),
    now: NOW,
    branding: { appName: 'Acme' },
    ...overrides,
  };
}

// Every tag the HTML opens, e.g. ['html', 'head', 'meta', …].
function tagsIn(html: string): string[] {
  return [...html.matchAll(/<([a-z!][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase());
}

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('leaves other text alone', () => {
    expect(escapeHtml('Ünïcödé ✓ 123')).toBe('Ünïcödé ✓ 123');
  });
});

describe('defaultEmailTemplate: content', () => {
  it('has a subject naming the app', () => {
    expect(defaultEmailTemplate(data()).subject).toBe('Sign in to Acme');
  });

  it('puts the plain link, the code, the expiry and the ignore line in the text', () => {
    const { text } = defaultEmailTemplate(data());
    expect(text.split('\n')).toContain(LINK);
    expect(text.split('\n')).toContain('123456');
    expect(text).toContain('expires in 15 minutes');
    expect(text).toContain('If you did not ask to sign in, you can ignore this email.');
    expect(text).not.toMatch(/<[a-z]/i);
  });

  it('makes the link a button and shows the code with an aria-label', () => {
    const { html } = defaultEmailTemplate(data());
    const escapedLink = LINK.replace(/&/g, '&amp;');
    expect(html).toContain(`href="${escapedLink}"`);
    expect(html).toMatch(
      /<p aria-label="Sign-in code: 1 2 3 4 5 6"[^>]*monospace[^>]*>123456<\/p>/,
    );
    expect(html).toContain('expires in 15 minutes');
    expect(html).toContain('If you did not ask to sign in, you can ignore this email.');
  });

  it('leaves the code out when there is none', () => {
    const { text, html } = defaultEmailTemplate(data({ code: null }));
    expect(text).not.toContain('enter this code');
    expect(html).not.toContain('aria-label');
  });

  it('uses inline styles only: no <style>, <script>, <link> or remote images', () => {
    const tags = tagsIn(defaultEmailTemplate(data()).html);
    expect(tags).not.toEqual(expect.arrayContaining(['style']));
    expect(tags).not.toContain('script');
    expect(tags).not.toContain('link');
    expect(tags).not.toContain('img');
    expect(tags).not.toContain('table');
  });

  it('shows an https logo, escaped, as the only image', () => {
    const { html } = defaultEmailTemplate(
      data({ branding: { appName: 'Acme', logoUrl: 'https://cdn.example.com/l.png?a=1&b="2"' } }),
    );
    expect(tagsIn(html).filter((t) => t === 'img')).toHaveLength(1);
    expect(html).toContain('<img src="https://cdn.example.com/l.png?a=1&amp;b=%222%22"');
  });

  it('uses the brand colour, and dark text on a light one', () => {
    expect(defaultEmailTemplate(data()).html).toContain(
      `background-color:${DEFAULT_PRIMARY_COLOR};color:#ffffff`,
    );
    const light = defaultEmailTemplate(data({ branding: { appName: 'A', primaryColor: '#FD0' } }));
    expect(light.html).toContain('background-color:#fd0;color:#111827');
  });

  it('is deterministic for the same input', () => {
    expect(defaultEmailTemplate(data())).toEqual(defaultEmailTemplate(data()));
  });
});

describe('defaultEmailTemplate: hostile values', () => {
  const hostile = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    'Acme & Co <b>bold</b>',
  ];

  it.each(hostile)('escapes appName %p everywhere in the HTML', (appName) => {
    const { html, subject } = defaultEmailTemplate(data({ branding: { appName } }));
    expect(html).not.toMatch(/<script|<img|<svg|<b>/i);
    expect(html).toContain(escapeHtml(appName));
    expect(subject).toBe(`Sign in to ${appName}`);
  });

  it.each(hostile)('escapes to %p in the HTML', (to) => {
    const { html } = defaultEmailTemplate(data({ to }));
    expect(html).not.toMatch(/<script|<img|<svg|<b>/i);
    expect(html).toContain(`This email was sent to ${escapeHtml(to)}.`);
  });

  it('strips CR and LF from appName in the subject and the text', () => {
    const appName = 'Acme\r\nBcc: victim@example.com';
    // The template must hold even when branding was not validated first.
    const { subject, text } = defaultEmailTemplate(data({ branding: { appName } }));
    expect(subject).toBe('Sign in to Acme Bcc: victim@example.com');
    expect(subject).not.toMatch(/[\r\n]/);
    expect(text.split('\n')[0]).toBe(subject);
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\nscript:alert(1)',
    'data:text/html,x',
  ])('throws on the link %p', (link) => {
    expect(() => defaultEmailTemplate(data({ link }))).toThrow(TypeError);
  });

  it.each(['/auth/callback?code=x', '', 'https://exa mple.com/', 'https://example.com/\r\nx'])(
    'throws on the link %p, which is not an absolute URL',
    (link) => {
      expect(() => defaultEmailTemplate(data({ link }))).toThrow(/link must be an absolute/);
    },
  );

  it.each(['12345', '1234567', 'abcdef', '12345\n', '١٢٣٤٥٦'])('throws on the code %p', (code) => {
    expect(() => defaultEmailTemplate(data({ code }))).toThrow(/code must be 6 digits/);
  });

  it('refuses an unvalidated primaryColor rather than put it in a style attribute', () => {
    const branding = { appName: 'A', primaryColor: 'red;background:url(https://evil.example)' };
    expect(() => defaultEmailTemplate(data({ branding }))).toThrow(/primaryColor/);
  });

  // Any Unicode, plus strings made mostly of the characters that build markup.
  const markupish = fc.oneof(
    fc.string({ maxLength: 100, unit: 'binary' }),
    fc.string({
      maxLength: 60,
      unit: fc.constantFrom('<', '>', '"', "'", '&', '/', '=', ' ', '\n', 'a', 'script', 'img'),
    }),
  );

  it('never lets appName or to open a tag (property)', () => {
    fc.assert(
      fc.property(markupish, markupish, (name, to) => {
        const appName = `x${name}`;
        const { html } = defaultEmailTemplate(data({ to, branding: { appName } }));
        const fixed = defaultEmailTemplate(data({ to: 'a@b.c', branding: { appName: 'x' } }));
        // The interpolated values add text, never markup: the tag list is unchanged.
        expect(tagsIn(html)).toEqual(tagsIn(fixed.html));
        const stripped = html.replace(/<[^<>]*>/g, '');
        expect(stripped).not.toMatch(/[<>]/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatExpiresIn', () => {
  const at = (ms: number) => formatExpiresIn(new Date(NOW.getTime() + ms), NOW);

  it.each([
    [15 * 60_000, '15 minutes'],
    [10 * 60_000, '10 minutes'],
    [60_000, '1 minute'],
    [14 * 60_000 + 50_000, '15 minutes'],
    [30_000, 'less than a minute'],
    [-5_000, 'less than a minute'],
    [60 * 60_000, '1 hour'],
    [90 * 60_000, '1 hour and 30 minutes'],
    [3 * 60 * 60_000, '3 hours'],
    [7 * 24 * 60 * 60_000, '7 days'],
  ])('%p ms → %p', (ms, words) => {
    expect(at(ms)).toBe(words);
  });

  it('throws on an invalid date', () => {
    expect(() => formatExpiresIn(new Date('nope'), NOW)).toThrow(TypeError);
  });
});

describe('validateBranding', () => {
  it('fills in the default colour and normalises values', () => {
    expect(validateBranding({ appName: ' Acme ' }, 'branding')).toEqual({
      appName: 'Acme',
      primaryColor: DEFAULT_PRIMARY_COLOR,
    });
    expect(
      validateBranding(
        { appName: 'Acme', primaryColor: '#0A7', logoUrl: 'https://cdn.example.com/l.png' },
        'branding',
      ),
    ).toEqual({ appName: 'Acme', primaryColor: '#0a7', logoUrl: 'https://cdn.example.com/l.png' });
  });

  it.each([
    [{ appName: 'A', primaryColor: 'red' }, /^opt\.primaryColor must be .* Fix: /],
    [{ appName: 'A', primaryColor: '#12345' }, /^opt\.primaryColor must be/],
    [{ appName: 'A', primaryColor: '#fff;x:y' }, /^opt\.primaryColor must be/],
    [{ appName: 'A', logoUrl: 'http://cdn.example.com/l.png' }, /^opt\.logoUrl must be .* Fix: /],
    [{ appName: 'A', logoUrl: 'javascript:alert(1)' }, /^opt\.logoUrl must be/],
    [{ appName: 'A', logoUrl: 'data:image/png;base64,AAAA' }, /^opt\.logoUrl must be/],
    [{ appName: '' }, /^opt\.appName must be .* Fix: /],
    [{ appName: 'A\r\nB' }, /^opt\.appName must be one line/],
    [{ appName: 'x'.repeat(101) }, /^opt\.appName must be one line/],
    [{ appName: 'A', primaryColour: '#fff' }, /^opt\.primaryColour is not a branding option/],
    ['Acme', /^opt must be an object/],
    [null, /^opt must be an object/],
  ])('refuses %p', (input, message) => {
    expect(() => validateBranding(input, 'opt')).toThrow(TypeError);
    expect(() => validateBranding(input, 'opt')).toThrow(message);
  });
});
