import type { Express } from 'express';
import type request from 'supertest';
import { cookieValue, follow, pathOf, setCookies } from '../helpers/app';
import type { TestApp } from '../helpers/app';

/** The two supported stacks; cheap suites run over both. */
export const STACKS = [
  { express: 5, sdk: 11 },
  { express: 4, sdk: 8 },
] as const;

/** The session cookie name `createTestApp()` gives express-session. */
export const SESSION_COOKIE = 'sid';

type Client = request.Agent | ReturnType<typeof request>;

/** How many times the emulator was asked to exchange a code. */
export function tokenCalls(t: TestApp): number {
  return t.emulator!.requests.filter((r) => r.path === '/sso/token').length;
}

/** How many times the emulator was asked to create a passwordless session. */
export async function sessionCalls(t: TestApp): Promise<number> {
  await t.settled();
  return t.emulator!.requests.filter((r) => r.path === '/passwordless/sessions').length;
}

export { cookieValue, setCookies };

/** The Set-Cookie line for one cookie, or undefined. */
export function cookieLine(res: request.Response, name: string): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}

/**
 * Asks for a link as `client`, follows the WorkOS link the emulator emailed, and returns the
 * callback path and query (`/auth/callback?code=…&state=…`) WorkOS redirected to.
 */
export async function requestCallback(
  t: TestApp,
  client: Client,
  email = 'alice@example.com',
  returnTo?: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const before = (await t.outbox()).length;
  const res = await client
    .post('/auth/magic-link')
    .set(headers)
    .type('form')
    .send(returnTo === undefined ? { email } : { email, returnTo });
  expect(res.status).toBe(303);
  const mail = (await t.outbox())[before];
  if (!mail) throw new Error(`No email was sent (HTTP ${res.status}: ${res.text})`);
  return pathOf(await follow(mail.link));
}

/** The code and state of a callback path. */
export function paramsOf(callbackPath: string): { code: string; state: string } {
  const params = new URLSearchParams(callbackPath.slice(callbackPath.indexOf('?') + 1));
  return { code: params.get('code') ?? '', state: params.get('state') ?? '' };
}

/** Signs `agent` in as `email`, through the real flow; returns the final Location. */
export async function signIn(
  t: TestApp,
  agent: request.Agent,
  email = 'alice@example.com',
): Promise<string> {
  const landed = await agent.get(await requestCallback(t, agent, email));
  expect(landed.status).toBe(303);
  return landed.headers.location as string;
}

/** What a body must never contain: stack frames, error class names or file paths. */
export function expectNoStackTrace(body: string): void {
  expect(body).not.toMatch(/\b\w*Error:/);
  expect(body).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(body).not.toMatch(/(?:^|\s|&nbsp;)at (?:async )?\S+:\d+:\d+/m);
  expect(body).not.toMatch(/node_modules|\/work\/|\/home\/|\.[cm]?[jt]s:\d+/);
}

/** A clear, safe refusal: the given 4xx status, no session cookie and no stack trace. */
export function expectRefused(res: request.Response, status: number): void {
  expect(res.status).toBe(status);
  expect(cookieValue(res, SESSION_COOKIE)).toBeUndefined();
  expectNoStackTrace(res.text);
}

/**
 * The Express app inside a test app, to add a probe route after the ones `createTestApp()`
 * mounts (it registers nothing after them, so a new route is reached).
 */
export function expressApp(t: TestApp): Express {
  const listener = t.server.listeners('request')[0];
  if (typeof listener !== 'function') throw new Error('The test app has no request listener');
  return listener as unknown as Express;
}

/**
 * For suites that share one app across tests: clears the emulator's outbox, request log and
 * fault switches, and the recorded events (pending sign-ins and sessions are per browser anyway).
 */
export function resetApp(t: TestApp): void {
  t.emulator?.reset();
  t.events.length = 0;
}
