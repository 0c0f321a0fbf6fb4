/** Why `value` is not an acceptable redirect URI, as a WorkOS-style error code, or `null`. */
export function redirectUriProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 2048) {
    return 'redirect_uri_invalid';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirect_uri_invalid';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'redirect_uri_invalid';
  if (url.username !== '' || url.password !== '') return 'redirect_uri_invalid';
  // Test the raw string too: `https://a.test/cb?` parses to an empty search but still has a query.
  if (value.includes('?')) return 'redirect_uri_query_not_allowed';
  if (value.includes('#')) return 'redirect_uri_fragment_not_allowed';
  if (url.hostname.includes('*') || /^[a-z]+:\/\/[^/]*\*/i.test(value)) {
    return 'redirect_uri_wildcard_not_allowed';
  }
  return null;
}
