export * from './store-suite';
export * from './workos';
export * from './session-suite';
export * from './provider-suite';
export * from './scanners';
export { CookieJar, formsOf, navigationHeaders, NAVIGATION_ACCEPT } from './scanner-engine';
export type { Initiator, SubmittedForm } from './scanner-engine';
export * from './mail-services';
