import { MagicLinkError } from '../errors';
import { isStatePayload } from './pending';
import type { StatePayload } from './pending';
import { createSealer } from './seal';

/** An expired state still names the address, so its "send a new link" button works for a day. */
export const RESEND_GRACE_MS = 24 * 60 * 60 * 1000;

/** The sealed `state` that rides with every link: seal it, open it, or open it for a resend. */
export interface StateCodec {
  seal(payload: StatePayload, ttlMs: number): string;
  /** The payload of a genuine, unexpired state; throws `ERR_STATE_INVALID` / `ERR_STATE_EXPIRED`. */
  open(state: unknown): StatePayload;
  /** A genuine state, even one expired up to {@link RESEND_GRACE_MS} ago: enough to offer a resend. */
  resendable(state: unknown): StatePayload | null;
}

export function createStateCodec(secrets: readonly string[]): StateCodec {
  const sealer = createSealer(secrets, 'state');
  return {
    seal: (payload, ttlMs) => sealer.seal(payload, ttlMs),
    open(state) {
      const result = sealer.unseal<unknown>(state);
      if (!result.ok) {
        throw new MagicLinkError(
          result.reason === 'expired' ? 'ERR_STATE_EXPIRED' : 'ERR_STATE_INVALID',
          `State ${result.reason}`,
        );
      }
      if (!isStatePayload(result.value))
        throw new MagicLinkError('ERR_STATE_INVALID', 'State payload malformed');
      return result.value;
    },
    resendable(state) {
      const result = sealer.unseal<unknown>(state, { graceMs: RESEND_GRACE_MS });
      return result.ok && isStatePayload(result.value) ? result.value : null;
    },
  };
}
