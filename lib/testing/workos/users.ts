import { remember } from './bounded';
import { randomId } from './ids';
import type { EmulatorUser, EmulatorUserSeed } from './types';

export interface StoredUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  organizationId: string | null;
  emailVerified: boolean;
  createdAt: number;
  updatedAt: number;
  lastSignIn: { at: number; ipAddress: string | null; userAgent: string | null } | null;
}

/** User Management users, by lowercased email. */
export class UserStore {
  private readonly byEmail = new Map<string, StoredUser>();

  constructor(
    seeds: readonly EmulatorUserSeed[],
    private readonly now: () => number,
    private readonly maxEntries: number,
  ) {
    for (const seed of seeds) this.create(seed);
  }

  get(email: string): StoredUser | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  create(seed: EmulatorUserSeed): StoredUser {
    const at = this.now();
    const user: StoredUser = {
      id: `user_${randomId()}`,
      email: seed.email,
      firstName: seed.firstName ?? null,
      lastName: seed.lastName ?? null,
      organizationId: seed.organizationId ?? null,
      emailVerified: seed.emailVerified ?? false,
      createdAt: at,
      updatedAt: at,
      lastSignIn: null,
    };
    remember(this.byEmail, seed.email.toLowerCase(), user, this.maxEntries);
    return user;
  }

  /** Record a successful sign-in: it verifies the email, as a Magic Auth code proves it. */
  signedIn(user: StoredUser, ipAddress: string | null, userAgent: string | null): void {
    const at = this.now();
    user.emailVerified = true;
    user.updatedAt = at;
    user.lastSignIn = { at, ipAddress, userAgent };
  }

  /** A copy for tests to read. */
  snapshot(email: string): EmulatorUser | undefined {
    const user = this.get(email);
    if (!user) return undefined;
    return {
      id: user.id,
      email: user.email,
      firstName: user.firstName,
      lastName: user.lastName,
      organizationId: user.organizationId,
      emailVerified: user.emailVerified,
      createdAt: new Date(user.createdAt),
      lastSignIn: user.lastSignIn && { ...user.lastSignIn, at: new Date(user.lastSignIn.at) },
    };
  }
}

/** The wire `user` object of User Management answers. */
export function wireUser(user: StoredUser): Record<string, unknown> {
  return {
    object: 'user',
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    first_name: user.firstName,
    last_name: user.lastName,
    profile_picture_url: null,
    last_sign_in_at: user.lastSignIn ? new Date(user.lastSignIn.at).toISOString() : null,
    external_id: null,
    metadata: {},
    created_at: new Date(user.createdAt).toISOString(),
    updated_at: new Date(user.updatedAt).toISOString(),
  };
}
