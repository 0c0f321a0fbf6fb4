import type { ParsedMail } from 'mailparser';
import type request from 'supertest';
import type { TestApp } from './app';
import { cookieValue, follow, pathOf, setCookies } from './app';
import { codeIn, linksIn } from './smtp';

/** The address a parsed email went to, e.g. `alice@example.com`. */
export function recipientOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The `href`s of the HTML part, unescaped. */
export function hrefsIn(html: string): string[] {
  return [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => unescapeHtml(m[1]!));
}

/** Every distinct http(s) link in an email, from the text part and the HTML part alike. */
export function everyLink(text: string, html: string): string[] {
  const fromText = [...text.matchAll(/\bhttps?:\/\/[^\s<>"'`]+/gi)].map((m) =>
    m[0].replace(/[.,;:!?)]+$/, ''),
  );
  const fromHtml = hrefsIn(html).filter((href) => /^https?:\/\//i.test(href));
  return [...new Set([...fromText, ...fromHtml])];
}

/** The one sign-in link and the code of a parsed email from our template. */
export interface SignInEmail {
  mail: ParsedMail;
  link: string;
  code: string | null;
}

/** Waits for the next email to `to` and takes its link and code from the parsed message. */
export async function nextEmail(t: TestApp, to: string): Promise<SignInEmail> {
  const mail = await t.smtp!.waitForMessage(
    (m) => recipientOf(m).toLowerCase() === to.toLowerCase(),
  );
  const links = linksIn(mail);
  if (links.length !== 1) throw new Error(`Expected one link in the email, got ${links.length}`);
  return { mail, link: links[0]!, code: codeIn(mail) };
}

/** Asks for a link as the sign-in form does, and checks the answer is the "sent" redirect. */
export async function askForLink(
  agent: request.Agent,
  email: string,
  returnTo = '/account',
): Promise<request.Response> {
  const res = await agent.post('/auth/magic-link').type('form').send({ email, returnTo });
  if (res.status !== 303 || res.headers.location !== '/auth/magic-link/sent') {
    throw new Error(`Asking for a link answered ${res.status}: ${res.text.slice(0, 200)}`);
  }
  return res;
}

/** The pending-cookie value a response set, e.g. to replay it from another client later. */
export function pendingCookieOf(res: request.Response): string {
  const value = cookieValue(res, 'mlink');
  if (!value) throw new Error('The response set no pending cookie');
  return value;
}

/** True when the response started a session (express-session's cookie is `sid` in tests). */
export function setsSession(res: { headers: Record<string, unknown> }): boolean {
  return setCookies(res).some((line) => line.startsWith('sid='));
}

/** The hidden fields and action of the first form on a page. */
export function formOf(page: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page);
  if (!form) throw new Error('The page has no form');
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined && value !== undefined) fields[unescapeHtml(name)] = unescapeHtml(value);
  }
  return { action: unescapeHtml(form[1]!), fields };
}

/**
 * The person's own click in the browser that asked (`agent`): true when it signs in and lands
 * on `/account` as `email`. A WorkOS link goes to WorkOS first; our /open link sends the
 * browser that asked on to WorkOS; both then come back to the callback.
 */
export async function clickAsUser(
  t: TestApp,
  agent: request.Agent,
  link: string,
  email: string,
): Promise<boolean> {
  const ours = link.startsWith(`${t.url}/`) ? link : await follow(link);
  let landed = await agent.get(pathOf(ours));
  const onward = landed.status === 303 ? (landed.headers.location ?? '') : '';
  if (onward.startsWith('http')) {
    if (new URL(onward).origin !== t.emulator?.url) return false;
    landed = await agent.get(pathOf(await follow(onward)));
  }
  if (landed.status !== 303 || landed.headers.location !== '/account' || !setsSession(landed))
    return false;
  const account = await agent.get('/account');
  return account.status === 200 && account.body.email === email;
}

/** The app's own check of a cookie jar: does `GET /account` with these cookies answer 200? */
export async function signedInWith(t: TestApp, cookies: readonly string[]): Promise<boolean> {
  const res = await fetch(`${t.url}/account`, {
    headers: cookies.length ? { cookie: cookies.join('; ') } : {},
    redirect: 'manual',
  });
  await res.body?.cancel();
  return res.status === 200;
}
