export * from './store-suite';
export * from './workos';
export * from './session-suite';
export * from './provider-suite';
export * from './passkey-store-suite';
export * from './passkey-authenticator';
export * from './scanners';
export { CookieJar, formsOf, navigationHeaders, NAVIGATION_ACCEPT } from './scanner-engine';
export type { Initiator, SubmittedForm } from './scanner-engine';
