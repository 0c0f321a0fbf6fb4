export * from './store-suite';
export * from './workos';
export * from './session-suite';
