import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** A credential a {@link softwareAuthenticator} holds. */
export interface SoftwareCredential {
  /** The credential id, base64url. */
  readonly id: string;
  readonly rpId: string;
  /** The user handle the relying party gave at registration, base64url. */
  readonly userHandle: string;
  /** The signature counter the next assertion will carry (before any override). */
  counter: number;
  readonly privateKey: KeyObject;
}

/** Options for {@link softwareAuthenticator}. */
export interface SoftwareAuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON, e.g. `http://127.0.0.1:3000`. */
  origin: string;
  /** Whether it verifies the user (the UV flag). @default true */
  userVerified?: boolean;
  /**
   * `true`: a counter-keeping authenticator (1, 2, 3… per assertion); `false`: it always reports 0,
   * as synced passkeys do. @default true
   */
  keepsCounter?: boolean;
}

/** Per-ceremony changes, for attack tests: a wrong origin or RP ID, no UV, a counter that goes back. */
export interface CeremonyOverrides {
  origin?: string;
  /** The RP ID whose hash goes into authenticatorData. @default the options' `rpId` (or `rp.id`) */
  rpId?: string;
  userVerified?: boolean;
  /** The counter this assertion reports; the credential's own counter is left alone. */
  counter?: number;
  /** Which credential answers; @default the last one registered for the RP ID. */
  credentialId?: string;
  /** clientDataJSON's `type`. @default 'webauthn.create' / 'webauthn.get' */
  type?: string;
}

/** What {@link softwareAuthenticator} returns. */
export interface SoftwareAuthenticator {
  /** Answers `navigator.credentials.create()`: a new ES256 credential, `none` attestation. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides?: CeremonyOverrides,
  ): RegistrationResponseJSON;
  /** Answers `navigator.credentials.get()` with a signed assertion. */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides?: CeremonyOverrides,
  ): AuthenticationResponseJSON;
  readonly credentials: SoftwareCredential[];
}

// A minimal CBOR encoder (RFC 8949): the few types an attestation object and a COSE key use.
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | readonly Cbor[];

function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array) => Buffer.from(data).toString('base64url');

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

function authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter >>> 0);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)]);
}

function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return cbor(
    new Map<Cbor, Cbor>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/**
 * A WebAuthn authenticator in Node, for tests: ES256 keys from `node:crypto`, `none` attestation,
 * and the bytes a browser would send (clientDataJSON, authenticatorData, a CBOR attestation
 * object, a DER signature). Drive the passkey JSON routes with it, no browser needed.
 *
 * @example
 * const authenticator = softwareAuthenticator({ origin: 'http://127.0.0.1:3000' });
 * const options = (await agent.post('/auth/passkeys/register/options').send({})).body;
 * await agent.post('/auth/passkeys/register').send(authenticator.register(options));
 */
export function softwareAuthenticator(
  options: SoftwareAuthenticatorOptions,
): SoftwareAuthenticator {
  const credentials: SoftwareCredential[] = [];
  const keepsCounter = options.keepsCounter ?? true;

  return {
    credentials,
    register(creation, overrides = {}) {
      const rpId = creation.rp.id ?? new URL(options.origin).hostname;
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const id = randomBytes(32);
      const credential: SoftwareCredential = {
        id: b64url(id),
        rpId,
        userHandle: creation.user.id,
        counter: keepsCounter ? 1 : 0,
        privateKey,
      };
      credentials.push(credential);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(id.length);
      const attested = Buffer.concat([Buffer.alloc(16), idLength, id, coseKey(publicKey)]);
      const uv = overrides.userVerified ?? options.userVerified ?? true;
      const data = authData(
        overrides.rpId ?? rpId,
        FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0),
        overrides.counter ?? 0,
        attested,
      );
      const attestationObject = cbor(
        new Map<Cbor, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', data],
        ]),
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: b64url(
            clientData(
              overrides.type ?? 'webauthn.create',
              creation.challenge,
              overrides.origin ?? options.origin,
            ),
          ),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
      };
    },
    authenticate(request, overrides = {}) {
      const rpId = request.rpId ?? new URL(options.origin).hostname;
      const allowed = request.allowCredentials?.map((c) => c.id) ?? [];
      const credential = overrides.credentialId
        ? credentials.find((c) => c.id === overrides.credentialId)
        : [...credentials]
            .reverse()
            .find((c) => c.rpId === rpId && (allowed.length === 0 || allowed.includes(c.id)));
      if (!credential) throw new Error('softwareAuthenticator: no credential for this request');
      let counter = credential.counter;
      if (keepsCounter) credential.counter += 1;
      if (overrides.counter !== undefined) counter = overrides.counter;
      const uv = overrides.userVerified ?? options.userVerified ?? true;
      const data = authData(overrides.rpId ?? rpId, FLAG_UP | (uv ? FLAG_UV : 0), counter);
      const client = clientData(
        overrides.type ?? 'webauthn.get',
        request.challenge,
        overrides.origin ?? options.origin,
      );
      const signature = sign(
        'sha256',
        Buffer.concat([data, sha256(client)]),
        credential.privateKey,
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: b64url(client),
          authenticatorData: b64url(data),
          signature: b64url(signature),
          userHandle: credential.userHandle,
        },
      };
    },
  };
}
