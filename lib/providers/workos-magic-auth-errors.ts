import { MagicLinkError } from '../errors';
import {
  codeOf,
  isMisconfigured,
  misconfigured,
  oauthError,
  statusOf,
  unavailable,
} from './workos-errors';

/**
 * How WorkOS Magic Auth's refusals map onto the package's errors: one place for what a
 * refused `createMagicAuth` or `authenticateWithMagicAuth` means to the flow.
 */

/** The 403 answers that ask for a further step (SDK 11's `AuthenticationException` codes). */
const STEP_UP = new Set([
  'email_verification_required',
  'organization_selection_required',
  'mfa_enrollment',
  'mfa_challenge',
  'mfa_verification',
  'radar_email_challenge',
  'radar_sms_challenge',
  'sso_required',
]);

/** Refusals of a code that was right once: it expired, was used, or is locked at WorkOS. */
const DEAD_CODE = new Set([
  'one_time_code_expired',
  'one_time_code_previously_used',
  'one_time_code_too_many_attempts',
]);

/** Failures that are neither the visitor's nor the code's: a retry, or a fix, may succeed. */
function infrastructure(err: unknown): MagicLinkError {
  if (isMisconfigured(err)) return misconfigured(err);
  if (oauthError(err) === 'authentication_method_not_allowed') {
    return new MagicLinkError(
      'ERR_PROVIDER_MISCONFIGURED',
      'Magic Auth is not enabled for this WorkOS environment; enable it under Authentication in the WorkOS dashboard',
      { cause: err },
    );
  }
  return unavailable(err);
}

export function startError(err: unknown): MagicLinkError {
  const error = oauthError(err);
  if (statusOf(err) === 400 && error === 'sign_up_not_allowed') {
    // The flow has already answered the visitor; this only becomes an event.
    return new MagicLinkError(
      'ERR_SIGN_IN_REFUSED',
      'WorkOS refused to create a user for this address (sign_up_not_allowed)',
      { cause: err },
    );
  }
  if (statusOf(err) === 400 && codeOf(err) === 'email_domain_not_deliverable') {
    return new MagicLinkError(
      'ERR_MAIL_FAILED',
      'WorkOS cannot deliver email to this domain (email_domain_not_deliverable)',
      { cause: err },
    );
  }
  return infrastructure(err);
}

/** Maps a refused `authenticateWithMagicAuth`; `via` says whether a link or a typed code was checked. */
export function authenticateError(err: unknown, via: 'link' | 'code'): MagicLinkError {
  const status = statusOf(err);
  const code = codeOf(err);
  if (status === 400 && code === 'invalid_one_time_code') {
    return via === 'link'
      ? new MagicLinkError('ERR_LINK_INVALID', 'WorkOS refused the code (invalid_one_time_code)', {
          cause: err,
        })
      : new MagicLinkError('ERR_CODE_INVALID', 'Wrong code (invalid_one_time_code)', {
          cause: err,
        });
  }
  if (status === 400 && typeof code === 'string' && DEAD_CODE.has(code)) {
    return new MagicLinkError('ERR_LINK_EXPIRED', `WorkOS refused the code (${code})`, {
      cause: err,
    });
  }
  const stepUp = code ?? oauthError(err);
  if (status === 403 && typeof stepUp === 'string' && STEP_UP.has(stepUp)) {
    return new MagicLinkError(
      'ERR_SIGN_IN_REFUSED',
      `WorkOS asks for a further step (${stepUp}) that a Magic Auth sign-in cannot finish here`,
      { cause: err },
    );
  }
  return infrastructure(err);
}
