export * from './store-suite';
export * from './workos';
export * from './session-suite';
export * from './provider-suite';
