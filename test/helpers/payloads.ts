/** SECURITY.md R1's `returnTo` payloads, verbatim: none may lead off-origin. */
export const R1_PAYLOADS: readonly string[] = [
  '//evil.com',
  '/\\evil.com',
  '/\\/evil.com',
  '\\/\\/evil.com',
  'https:evil.com',
  'https://app.example.com@evil.com',
  'javascript:alert(1)',
];
