import { hash, timingSafeEqual } from 'node:crypto';
import { randomBase64url } from './random';

/**
 * A pending sign-in has two halves: a random nonce in an HttpOnly cookie of the browser that
 * asked, and a sealed `state` that travels through the email and carries the nonce's digest.
 * Only a browser that holds the nonce matches the state; everyone else must confirm.
 */
export interface StatePayload {
  /** Random id of this sign-in; its store record makes the state single-use and revocable. */
  i: string;
  /** Binding: the SHA-256 of the requesting browser's nonce. */
  b: string;
  /** The same-origin path to land on after sign-in. */
  r: string;
  /** The address the link was sent to, for one-click resend and the confirmation page. */
  e: string;
  /** When the link was sent (ms since the epoch), for `link_opened_elsewhere`. */
  t?: number;
}

const NONCE = /^[A-Za-z0-9_-]{22}$/;

/** 128 bits from the CSPRNG (RFC 9700 §4.7.1). */
export function newNonce(): string {
  return randomBase64url(16);
}

export function isNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE.test(value);
}

export function bindingOf(nonce: string): string {
  return hash('sha256', nonce, 'base64url');
}

export function newId(): string {
  return randomBase64url(16);
}

/** Constant-time check that this browser's nonce is the one the state was minted for. */
export function holdsBinding(nonce: string | null, binding: string): boolean {
  if (!nonce) return false;
  const a = Buffer.from(bindingOf(nonce));
  const b = Buffer.from(binding);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isStatePayload(value: unknown): value is StatePayload {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.i === 'string' &&
    typeof v.b === 'string' &&
    typeof v.r === 'string' &&
    typeof v.e === 'string'
  );
}

/**
 * `alice@example.com` → `a•••@example.com`, for pages that must name the account without
 * revealing it. Anything that is not an address (a user kept without one) is `•••`.
 */
export function maskEmail(address: unknown): string {
  if (typeof address !== 'string') return '•••';
  const at = address.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${address[0]}•••${address.slice(at)}`;
}
