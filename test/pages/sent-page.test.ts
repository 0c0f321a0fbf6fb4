import { sentPage } from '../../lib/pages/pages';

const base = { appName: 'Acme', signInHref: '/auth/magic-link', error: null };

/** The page's visible text, tags dropped and whitespace folded. */
function textOf(page: string): string {
  return page
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the "check your email" page', () => {
  it('speaks of a link, with no code form, when the provider has no codes', () => {
    const text = textOf(sentPage({ ...base, verifyAction: null }));
    expect(text).toContain('we have sent it a link. Open it in this browser to continue.');
    expect(text).toContain('ask for another link');
    expect(text).not.toContain('code');
  });

  it('offers the code as a second way when the email holds a link and a code', () => {
    const page = sentPage({ ...base, verifyAction: '/auth/magic-link/verify' });
    const text = textOf(page);
    expect(text).toContain('we have sent it a link.');
    expect(text).toContain('Or type the 6-digit code from the email');
    expect(page).toContain('<form method="post" action="/auth/magic-link/verify">');
  });

  it('speaks only of a code when the provider emails a code and no link (WorkOS Magic Auth)', () => {
    const page = sentPage({ ...base, verifyAction: '/auth/magic-link/verify', codeOnly: true });
    const text = textOf(page);
    expect(text).toContain('we have sent it a 6-digit code. Type it below, in this browser.');
    expect(text).toContain('The 6-digit code from the email');
    expect(text).toContain('The code expires in a few minutes.');
    expect(text).toContain('ask for another code');
    expect(text).not.toMatch(/\blink\b/);
  });

  it('ignores codeOnly when there is no code form to type into', () => {
    const text = textOf(sentPage({ ...base, verifyAction: null, codeOnly: true }));
    expect(text).toContain('we have sent it a link.');
  });
});
