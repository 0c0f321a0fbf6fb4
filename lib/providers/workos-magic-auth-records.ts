import type { ProviderClient } from './provider';

/** WorkOS Magic Auth codes live 10 minutes. */
export const WORKOS_MAGIC_AUTH_TTL_MS = 10 * 60 * 1000;

/**
 * The records the Magic Auth provider keeps (under a browser's binding) and seals (in a link),
 * and how it reads them back.
 */

/** What `verifyCode` needs, stored under the browser's binding. Never the code. */
export interface BindingRecord {
  /** address */
  e: string;
  /** sealed state */
  s: string;
  /** link id: names this sign-in's link marker and attempt counter */
  n: string;
  /** WorkOS's Magic Auth id of the code this browser was given (absent in older records) */
  m?: string;
}

/** What the link carries, sealed. */
export interface SealedCode {
  /** the Magic Auth code */
  c: string;
  /** address */
  e: string;
  /** link id */
  n: string;
}

/** The browser's IP and user agent, for WorkOS Radar's risk checks. */
export function radar(client: ProviderClient | undefined): {
  ipAddress?: string;
  userAgent?: string;
} {
  if (!client) return {};
  return {
    ipAddress: client.ip,
    ...(client.userAgent !== null && { userAgent: client.userAgent }),
  };
}

/** How long the code WorkOS issued lives by our clock: its `expiresAt`, at most 10 minutes. */
export function lifetimeOf(expiresAt: Date | string): number {
  const left = new Date(expiresAt).getTime() - Date.now();
  if (!Number.isFinite(left) || left <= 0) return WORKOS_MAGIC_AUTH_TTL_MS;
  return Math.min(Math.floor(left), WORKOS_MAGIC_AUTH_TTL_MS);
}

export function parseRecord(raw: string | null): BindingRecord | null {
  if (!raw) return null;
  try {
    const record = JSON.parse(raw) as Partial<BindingRecord> | null;
    return record &&
      typeof record.e === 'string' &&
      typeof record.s === 'string' &&
      typeof record.n === 'string' &&
      (record.m === undefined || typeof record.m === 'string')
      ? (record as BindingRecord)
      : null;
  } catch {
    return null;
  }
}

export function isSealedCode(value: unknown): value is SealedCode {
  const v = value as Partial<SealedCode> | null;
  return !!v && typeof v.c === 'string' && typeof v.e === 'string' && typeof v.n === 'string';
}
