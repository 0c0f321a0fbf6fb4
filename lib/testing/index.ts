export * from './store-suite';
export * from './workos-emulator';
export * from './session-suite';
export * from './provider-suite';
