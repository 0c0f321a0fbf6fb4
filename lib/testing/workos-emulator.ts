/** Kept for existing imports; the emulator lives in `./workos`. */
export * from './workos';
