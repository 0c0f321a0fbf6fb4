import request from 'supertest';
import { memoryPasskeyStore } from '../../lib/index';
import type { MagicLinkOptions, PasskeyStore, Store } from '../../lib/index';
import { softwareAuthenticator } from '../../lib/testing/passkey-authenticator';
import type {
  SoftwareAuthenticator,
  SoftwareAuthenticatorOptions,
} from '../../lib/testing/passkey-authenticator';
import { createTestApp } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink, nextEmail } from '../helpers/sign-in';
import { pathOf } from '../helpers/app';

export interface PasskeyApp extends TestApp {
  passkeys: PasskeyStore;
  authenticator(options?: Partial<SoftwareAuthenticatorOptions>): SoftwareAuthenticator;
}

/** A self-hosted app over real SMTP with passkeys on (memory passkey store, no offer page). */
export async function createPasskeyApp(
  options: {
    router?: Partial<MagicLinkOptions>;
    store?: Store;
    rateLimit?: boolean;
    passkeys?: Partial<NonNullable<MagicLinkOptions['passkeys']>>;
    routes?: TestAppOptions['routes'];
  } = {},
): Promise<PasskeyApp> {
  const passkeys = options.passkeys?.store ?? memoryPasskeyStore();
  const app = await createTestApp({
    provider: 'self-hosted',
    ...(options.store ? { store: options.store } : {}),
    rateLimit: options.rateLimit ?? false,
    helmet: true,
    ...(options.routes ? { routes: options.routes } : {}),
    router: {
      passkeys: { store: passkeys, offerAfterSignIn: false, ...options.passkeys },
      ...options.router,
    },
  });
  return {
    ...app,
    passkeys,
    authenticator: (o = {}) => softwareAuthenticator({ origin: app.url, ...o }),
  };
}

/** Signs an agent in by email link (self-hosted, same browser). */
export async function signInByEmail(
  app: TestApp,
  agent: request.Agent,
  email: string,
): Promise<void> {
  await askForLink(agent, email);
  const { link } = await nextEmail(app, email);
  const landed = await agent.get(pathOf(link));
  if (landed.status !== 303) throw new Error(`Sign-in by link answered ${landed.status}`);
}

/** Registers a passkey for the agent's signed-in user; returns the credential id. */
export async function enroll(
  agent: request.Agent,
  authenticator: SoftwareAuthenticator,
): Promise<string> {
  const options = await agent.post('/auth/passkeys/register/options').send({});
  if (options.status !== 200) throw new Error(`register/options answered ${options.status}`);
  const res = await agent
    .post('/auth/passkeys/register')
    .send(authenticator.register(options.body));
  if (res.status !== 200) throw new Error(`register answered ${res.status}: ${res.text}`);
  return res.body.id as string;
}

/** Asks for sign-in options in this browser (which gets a pending cookie if it had none). */
export async function signInOptions(agent: request.Agent, returnTo = '/account') {
  const res = await agent.post('/auth/passkeys/sign-in/options').send({ returnTo });
  if (res.status !== 200) throw new Error(`sign-in/options answered ${res.status}: ${res.text}`);
  return res.body;
}

export { request };
