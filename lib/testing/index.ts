export * from './store-suite';
export * from './workos-emulator';
