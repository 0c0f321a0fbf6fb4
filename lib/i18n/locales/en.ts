/**
 * The source catalogue: every string the package shows, and the keys every other locale must
 * have. `{name}` is a placeholder, filled in when the string is shown (and escaped in HTML).
 */
export const en = {
  // Sign-in page
  signInTitle: 'Sign in to {appName}',
  signInEmailLabel: 'Email address',
  signInSubmit: 'Email me a sign-in link',
  signInNote: 'We will email you a link that signs you in. No password needed.',

  // "Check your email"
  sentTitle: 'Check your email',
  sentBodyLink:
    'If that address can sign in to {appName}, we have sent it a link. Open it in this browser to continue.',
  sentBodyCode:
    'If that address can sign in to {appName}, we have sent it a 6-digit code. Type it below, in this browser.',
  sentCodeLabelOnly: 'The 6-digit code from the email',
  sentCodeLabelOr: 'Or type the 6-digit code from the email',
  sentCodeLabelRelay: 'Opened the link on another device? Type the 6-digit code it shows',
  sentRelayHint: 'or the one shown where you opened the link, if that was another device.',
  sentSubmitCode: 'Sign in with code',
  sentFooterLink: 'The link expires in a few minutes. Nothing arrived? Check spam, or {link}.',
  sentFooterCode: 'The code expires in a few minutes. Nothing arrived? Check spam, or {link}.',
  sentAnotherLink: 'ask for another link',
  sentAnotherCode: 'ask for another code',

  // Confirmation (crossDevice: 'confirm')
  confirmTitle: 'Continue signing in?',
  confirmBody:
    'You are about to sign in to {appName} as {email} in this browser. Check that this is your address.',
  confirmSignedInAs:
    'This browser is signed in as {current}. Continuing signs it in as {email} instead.',
  confirmNotYou:
    'If you did not ask for this link, close this page. Nothing happens until you press the button.',
  confirmSubmit: 'Continue signing in',

  // Relay (crossDevice: 'relay'), in the browser that did not ask
  relayTitle: 'Finish signing in where you asked',
  relayBody: 'Type this code in the browser where you asked to sign in to {appName}:',
  relayWarning:
    'This browser stays signed out. If you did not ask to sign in, close this page and give the code to nobody: {appName} never asks for it by phone, chat or email.',
  relayHere: 'Want to sign in on this device instead? {link}.',
  relayHereLink: 'Ask for a link here',

  // Denied (crossDevice: 'deny')
  deniedTitle: 'Open the link in the same browser',
  deniedHeading: 'Open the link in the browser you used',
  deniedBody:
    'For your security, {appName} only accepts this link in the browser where you asked for it.',
  deniedCode: 'You can also type the 6-digit code from the email into that browser.',
  deniedAgain: 'Ask for a new link in this browser',

  // Expired
  expiredTitle: 'This link has expired',
  expiredHeading: 'This link has expired or was already used',
  expiredBody: 'Sign-in links work once and only for a short time.',
  expiredResend: 'Email me a new link',
  expiredAgain: 'Ask for a new link',

  // Error page
  errorTitleRetry: 'Please try again',
  errorTitleSlowDown: 'Slow down',
  errorTitleProblem: 'Sign-in problem',
  errorBack: 'Back to sign-in',

  // What the visitor reads for each error code (see ERRORS in errors.ts)
  errBadRequest: 'The request was not understood.',
  errBadEmail: 'Enter a valid email address.',
  errBodyTooLarge: 'The request was too large.',
  errCrossSite: 'This request came from another site and was refused.',
  errStateInvalid: 'This sign-in link is not valid.',
  errExpired: 'This sign-in link has expired or was already used.',
  errCodeInvalid: 'That code is not right, or it has expired.',
  errCodeLocked: 'Too many wrong codes. Use the link in the email, or ask for a new one.',
  errCrossDeviceDenied: 'Open the link in the browser where you asked for it.',
  errSignInRefused: 'This account cannot sign in.',
  errRateLimited: 'Too many requests. Wait a little, then try again.',
  errProviderUnavailable: 'We could not reach the sign-in service. Try again in a moment.',
  errMailFailed: 'We could not send the email. Try again in a moment.',
  errTryAgain: 'Sign-in is temporarily unavailable. Try again in a moment.',
  errNotFound: 'Not found.',
  errHumanCheckFailed: 'Complete the check that you are human, then try again.',
  errHumanCheckUnavailable: 'We could not check that you are human. Try again in a moment.',

  // The default email
  emailSubject: 'Sign in to {appName}',
  emailButton: 'Sign in to {appName}',
  emailIntroText:
    'Open this link to sign in to {appName}. It expires in {expiresIn} and works once.',
  emailIntroHtml:
    'Use the button below to sign in to {appName}. It expires in {expiresIn} and works once.',
  emailOrOpen: 'Or open this link:',
  emailOrCode: 'Or enter this code on the sign-in page, in the browser where you asked:',
  emailCodeLabel: 'Sign-in code: {code}',
  emailIgnore: 'If you did not ask to sign in, you can ignore this email.',
  emailSentTo: 'This email was sent to {email}.',
  /** The one duration Intl does not word: under a minute. */
  expiresLessThanMinute: 'less than a minute',
  // Passkeys
  errPasskeyInvalid: 'That passkey could not be used. Try again, or sign in with your email.',
  errUnauthenticated: 'Sign in to continue.',
  errReauthenticationRequired: 'Confirm it is you to continue.',
  passkeySignIn: 'Sign in with a passkey',
  passkeyOfferTitle: 'Sign in faster next time',
  passkeyOfferBody:
    'Add a passkey and sign in to {appName} next time with your fingerprint, face or screen lock, without waiting for an email.',
  passkeyOfferAdd: 'Add a passkey',
  passkeyOfferSkip: 'Not now',
  passkeyNeedsScript: 'Passkeys need JavaScript. You can always sign in with your email.',
  passkeyManageTitle: 'Your passkeys',
  passkeyManageEmpty: 'You have no passkeys yet.',
  passkeyManageAdd: 'Add a passkey',
  passkeyCreated: 'Added {date}',
  passkeyLastUsed: 'Last used {date}',
  passkeyNeverUsed: 'Never used',
  passkeyNameLabel: 'Name',
  passkeyRename: 'Rename',
  passkeyRemove: 'Remove',
  reauthTitle: 'Confirm it is you',
  reauthBody: 'For your security, confirm it is you before you continue.',
  reauthPasskey: 'Use my passkey',
  reauthEmail: 'Email a code to {email}',
} as const;

export type MessageKey = keyof typeof en;

/** A complete catalogue: every key of `en`, nothing else. */
export type Messages = Record<MessageKey, string>;
