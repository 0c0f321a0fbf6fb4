import { hash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { MagicLinkError } from '../errors';
import type { Outcome } from '../flow/outcomes';
import { bindingOf, holdsBinding } from '../flow/pending';
import { safeReturnTo } from '../flow/return-to';
import type { FlowEvent } from '../flow/sign-in';
import type { MagicLinkProfile } from '../profile';
import type { Store } from '../stores/store';
import type { ResolvedPasskeys } from './options';
import { MAX_PASSKEY_NAME_LENGTH } from './store';
import type { PasskeyFailure, StoredPasskey } from './store';

/** A challenge lives 5 minutes, as long as the browser's own ceremony timeout. */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Longest credential id accepted (the spec caps ids at 1023 bytes; base64url of that). */
const MAX_ID_LENGTH = 1366;
const B64URL = /^[A-Za-z0-9_-]+$/;
/** A challenge this router issues: 32 random bytes, base64url. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

interface ChallengeRecord {
  /** `reg`: registration; `auth`: sign-in. */
  k: 'reg' | 'auth';
  /** The binding (SHA-256 of the pending nonce) of the browser that asked. */
  b: string;
  /** Registration: the signed-in user it was issued to. */
  u?: string;
  /** Sign-in: where to land. */
  r?: string;
}

export interface PasskeyFlowDeps {
  passkeys: ResolvedPasskeys;
  /** The router's store: challenges live there, single use, under `pk:`. */
  store: Store;
  afterSignIn: string;
  emit: (event: FlowEvent, ip: string) => void;
  /** The clock for `createdAt` and `lastUsedAt`. @default Date.now */
  now?: () => number;
}

/** Who is signed in, as the router knows it: `req.user`. */
export type SignedInUser = Pick<MagicLinkProfile, 'id' | 'email'> & Partial<MagicLinkProfile>;

/** The passkey steps: plain values in, options or outcomes out; no req/res. */
export interface PasskeyFlow {
  registrationOptions(input: {
    user: SignedInUser;
    nonce: string;
  }): Promise<PublicKeyCredentialCreationOptionsJSON>;
  register(input: {
    user: SignedInUser;
    nonce: string | null;
    ip: string;
    response: unknown;
    name?: unknown;
  }): Promise<StoredPasskey>;
  authenticationOptions(input: {
    nonce: string;
    returnTo: unknown;
  }): Promise<PublicKeyCredentialRequestOptionsJSON>;
  authenticate(input: {
    nonce: string | null;
    ip: string;
    response: unknown;
  }): Promise<Outcome & { kind: 'verified' }>;
}

/** The user handle stored on the authenticator: a digest of the user id, never the id itself. */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(hash('sha256', userId, 'buffer'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The response's shape, checked before anything is taken or verified. */
function credentialShape(
  value: unknown,
  fields: readonly string[],
): { id: string; challenge: string } | null {
  if (!isRecord(value) || value.type !== 'public-key') return null;
  const { id, rawId, response } = value;
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !B64URL.test(id)) return null;
  if (rawId !== id || !isRecord(response)) return null;
  for (const f of fields) {
    const v = response[f];
    if (typeof v !== 'string' || !B64URL.test(v)) return null;
  }
  let client: unknown;
  try {
    client = JSON.parse(Buffer.from(response.clientDataJSON as string, 'base64url').toString());
  } catch {
    return null;
  }
  const challenge = isRecord(client) ? client.challenge : undefined;
  if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) return null;
  return { id, challenge };
}

/** SimpleWebAuthn throws plain Errors; their messages name the step that failed. */
function reasonOf(err: unknown): PasskeyFailure {
  const message = err instanceof Error ? err.message : '';
  if (/origin/i.test(message)) return 'origin';
  if (/RP ID/i.test(message)) return 'rp_id';
  if (/user verification|user could not be verified/i.test(message)) return 'user_verification';
  if (/challenge/i.test(message)) return 'challenge_unknown';
  return 'signature';
}

/** The profile saved at enrollment: the signed-in user's profile fields, nothing the app added. */
function profileOf(user: SignedInUser): MagicLinkProfile {
  return {
    id: user.id,
    idpId: user.idpId ?? user.id,
    organizationId: user.organizationId ?? null,
    connectionId: user.connectionId ?? '',
    connectionType: user.connectionType ?? 'MagicLink',
    email: user.email,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    rawAttributes: isRecord(user.rawAttributes) ? user.rawAttributes : {},
  };
}

/**
 * WebAuthn on `@simplewebauthn/server`, as flow steps. The checks, in the spec's order, each
 * refusing with its own reason (reported in `passkey_failed`, never shown): the response's
 * shape; the challenge, taken once from the store (single use, 5 minutes); the challenge's
 * browser binding (and, for registration, its user); the credential; origin, RP ID, user
 * verification and signature (SimpleWebAuthn); the user handle; the counter (clones).
 */
export function createPasskeyFlow(deps: PasskeyFlowDeps): PasskeyFlow {
  const { passkeys, store } = deps;
  const now = deps.now ?? Date.now;
  const uvRequired = passkeys.userVerification === 'required';

  function refuse(reason: PasskeyFailure, ip: string): never {
    deps.emit({ type: 'passkey_failed', reason }, ip);
    throw new MagicLinkError('ERR_PASSKEY_INVALID', `Passkey refused: ${reason}`);
  }

  async function issue(record: ChallengeRecord, challenge: string): Promise<void> {
    await store.set(`pk:c:${challenge}`, JSON.stringify(record), CHALLENGE_TTL_MS);
  }

  /** Takes the challenge (single use: of racers with one challenge, one gets it) and checks its binding. */
  async function takeChallenge(
    challenge: string,
    kind: ChallengeRecord['k'],
    nonce: string,
    ip: string,
  ): Promise<ChallengeRecord> {
    const raw = await store.take(`pk:c:${challenge}`);
    if (raw === null) refuse('challenge_unknown', ip);
    const record = JSON.parse(raw) as ChallengeRecord;
    if (record.k !== kind || !holdsBinding(nonce, record.b)) refuse('challenge_elsewhere', ip);
    return record;
  }

  return {
    async registrationOptions({ user, nonce }) {
      const existing = await passkeys.store.listByUser(user.id);
      const options = await generateRegistrationOptions({
        rpName: passkeys.rpName,
        rpID: passkeys.rpId,
        userName: user.email,
        userDisplayName: user.email,
        userID: userHandleOf(user.id),
        attestationType: 'none',
        timeout: CHALLENGE_TTL_MS,
        excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
        authenticatorSelection: {
          residentKey: 'required',
          requireResidentKey: true,
          userVerification: passkeys.userVerification,
        },
        // Ed25519, ES256, RS256: what authenticators in use offer.
        supportedAlgorithmIDs: [-8, -7, -257],
      });
      await issue({ k: 'reg', b: bindingOf(nonce), u: user.id }, options.challenge);
      return options;
    },

    async register({ user, nonce, ip, response, name }) {
      const shape = credentialShape(response, ['clientDataJSON', 'attestationObject']);
      if (!shape) refuse('malformed', ip);
      if (!nonce) refuse('no_binding', ip);
      const record = await takeChallenge(shape.challenge, 'reg', nonce, ip);
      // A challenge issued to another signed-in user never registers a passkey to this one.
      if (record.u !== user.id) refuse('challenge_elsewhere', ip);
      let verified;
      try {
        verified = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: shape.challenge,
          expectedOrigin: passkeys.origin,
          expectedRPID: passkeys.rpId,
          requireUserVerification: uvRequired,
          supportedAlgorithmIDs: [-8, -7, -257],
        });
      } catch (err) {
        refuse(reasonOf(err), ip);
      }
      if (!verified.verified) refuse('signature', ip);
      const info = verified.registrationInfo;
      if (await passkeys.store.get(info.credential.id)) refuse('credential_exists', ip);
      const given = typeof name === 'string' ? name.trim().slice(0, MAX_PASSKEY_NAME_LENGTH) : '';
      const passkey: StoredPasskey = {
        id: info.credential.id,
        userId: user.id,
        profile: profileOf(user),
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        name: given || 'Passkey',
        backedUp: info.credentialBackedUp,
        createdAt: new Date(now()),
        lastUsedAt: null,
      };
      await passkeys.store.create(passkey);
      deps.emit({ type: 'passkey_registered', userId: user.id }, ip);
      return passkey;
    },

    async authenticationOptions({ nonce, returnTo }) {
      // No allowCredentials: discoverable credentials only, so nothing here depends on who asks.
      const options = await generateAuthenticationOptions({
        rpID: passkeys.rpId,
        userVerification: passkeys.userVerification,
        timeout: CHALLENGE_TTL_MS,
      });
      const r = safeReturnTo(returnTo, passkeys.origin, deps.afterSignIn);
      await issue({ k: 'auth', b: bindingOf(nonce), r }, options.challenge);
      return options;
    },

    async authenticate({ nonce, ip, response }) {
      const shape = credentialShape(response, ['clientDataJSON', 'authenticatorData', 'signature']);
      if (!shape) refuse('malformed', ip);
      if (!nonce) refuse('no_binding', ip);
      const record = await takeChallenge(shape.challenge, 'auth', nonce, ip);
      const passkey = await passkeys.store.get(shape.id);
      if (!passkey) refuse('credential_unknown', ip);
      let info;
      try {
        const result = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON,
          expectedChallenge: shape.challenge,
          expectedOrigin: passkeys.origin,
          expectedRPID: passkeys.rpId,
          // The counter is checked below, after the signature, so a clone has its own event.
          credential: {
            id: passkey.id,
            publicKey: Buffer.from(passkey.publicKey, 'base64url'),
            counter: 0,
            transports: passkey.transports,
          },
          requireUserVerification: uvRequired,
        });
        if (!result.verified) refuse('signature', ip);
        info = result.authenticationInfo;
      } catch (err) {
        if (err instanceof MagicLinkError) throw err;
        refuse(reasonOf(err), ip);
      }
      const handle = (response as AuthenticationResponseJSON).response.userHandle;
      if (
        handle !== undefined &&
        handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')
      )
        refuse('user_handle', ip);
      // A counter-keeping authenticator's counter only goes up; one that went back (or stood
      // still) means two authenticators share the key.
      if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
        deps.emit(
          { type: 'passkey_clone_suspected', userId: passkey.userId, passkeyId: passkey.id },
          ip,
        );
        refuse('clone_suspected', ip);
      }
      // Removed between the read and now: refused, so a removal ends sign-ins at once. Still
      // there: a racer recorded this counter first (a clone used at the same time).
      if (
        !(await passkeys.store.use(passkey.userId, passkey.id, info.newCounter, new Date(now())))
      ) {
        if (!(await passkeys.store.get(passkey.id))) refuse('credential_unknown', ip);
        deps.emit(
          { type: 'passkey_clone_suspected', userId: passkey.userId, passkeyId: passkey.id },
          ip,
        );
        refuse('clone_suspected', ip);
      }
      return {
        kind: 'verified',
        profile: passkey.profile,
        tokens: null,
        returnTo: record.r ?? deps.afterSignIn,
        method: 'passkey',
        bound: false,
      };
    },
  };
}
