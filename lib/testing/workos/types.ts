/** An email the emulator "sent" for `POST /passwordless/sessions/:id/send` (answered `201`). */
export interface EmulatorEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Magic Link inside the email. */
  link: string;
  /** The id of the passwordless session the email belongs to. */
  sessionId: string;
  sentAt: Date;
}

/** A Magic Auth code the emulator "emailed", with the option `workosEmails` on. */
export interface EmulatorMagicAuthEmail {
  to: string;
  /** The 6-digit code. */
  code: string;
  magicAuthId: string;
  userId: string;
  /** The `ip_address` and `user_agent` the create call sent, or `null`. */
  ipAddress: string | null;
  userAgent: string | null;
  sentAt: Date;
}

/** A user to create when the emulator starts (option `users`). */
export interface EmulatorUserSeed {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  /** Sent as `organization_id` when the user authenticates. */
  organizationId?: string | null;
  /** @default false */
  emailVerified?: boolean;
}

/** A User Management user as the emulator holds it; see {@link WorkOSEmulator.findUser}. */
export interface EmulatorUser {
  /** `user_…` */
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  organizationId: string | null;
  emailVerified: boolean;
  createdAt: Date;
  /** The last successful Magic Auth, with the `ip_address` and `user_agent` it sent. */
  lastSignIn: { at: Date; ipAddress: string | null; userAgent: string | null } | null;
}

/** The `403` step-up answers {@link WorkOSEmulator.requireStepUp} can switch on. */
export type EmulatorStepUp = 'organization_selection_required' | 'mfa_challenge';

/** One request the emulator received, API call or link visit. */
export interface EmulatorRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
}

/** The options to spread into `new WorkOS(apiKey, options)` so the SDK talks to the emulator. */
export interface WorkOSEmulatorSdkOptions {
  apiHostname: string;
  port: number;
  https: false;
  clientId: string;
}

/** A running emulator. See {@link startWorkOSEmulator}. */
export interface WorkOSEmulator {
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly clientId: string;
  /** Emails "sent" by `POST /passwordless/sessions/:id/send`, oldest first. */
  readonly outbox: EmulatorEmail[];
  /** Magic Auth codes "emailed" by `POST /user_management/magic_auth`, oldest first. */
  readonly magicAuthOutbox: EmulatorMagicAuthEmail[];
  /**
   * Every request received (API calls, injected failures and link visits), oldest first; for
   * asserting that the provider was, or was not, called. Refused connections are not logged.
   */
  readonly requests: EmulatorRequest[];
  /** Options for the real SDK: `new WorkOS(emulator.apiKey, emulator.sdkOptions())`. */
  sdkOptions(): WorkOSEmulatorSdkOptions;
  /**
   * Answer the next `count` API calls (every request except a link visit, whatever its path or
   * API key) with `status` instead of handling them; the failed calls have no effect (no session
   * is created, no code is spent). Link visits are never failed. `body` defaults to `{ message: <status text> }`; a string body is sent as
   * `text/plain`, which the SDKs report as a parse error. A `429` carries `Retry-After: 1`.
   * A new call replaces any pending failures; `count` 0 clears them.
   */
  failNext(count: number, status: number, body?: unknown): void;
  /**
   * Delay every API answer by `ms` (0 to clear). The call takes effect before the wait, so a
   * client that times out has still created its session or spent its code, as with a lost answer.
   * Link visits are not delayed.
   */
  delay(ms: number): void;
  /**
   * While on, every new connection is destroyed as soon as it opens, and a request on an already
   * open (keep-alive) connection destroys that connection; SDK calls fail at once with a network
   * error. Idle connections are left alone, so turning it off again never leaves a pooled socket
   * half-dead.
   */
  refuseConnections(on: boolean): void;
  /**
   * While set, a Magic Auth grant whose code is right answers `403` with this step-up `code`, a
   * `pending_authentication_token` and the `user` (plus `organizations` or
   * `authentication_factors`); the code is spent. `null` turns it off; `reset()` too.
   */
  requireStepUp(kind: EmulatorStepUp | null): void;
  /** The User Management user with this email (case-insensitive), seeded or signed up. */
  findUser(email: string): EmulatorUser | undefined;
  /**
   * Clear the outboxes, the request log and every fault switch (the step-up switch included).
   * Sessions, links, codes and users are kept, so a test can clear the log mid-flow.
   */
  reset(): void;
  /** Stop listening and drop every connection. Safe to call twice. */
  close(): Promise<void>;
}
