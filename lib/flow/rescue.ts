import type { Store } from '../stores/store';

/**
 * For providers that email their own link, which a scanner's GET can burn: when the scanner
 * follows the provider's redirect to our callback, keep its unspent code for the browser that
 * asked. That browser's own click, which the provider then answers with an error, finishes with
 * the kept code. Wired only when the provider sends its own email. Owns the `rescue:` keyspace.
 */
export interface Rescue {
  keep(id: string, code: string): Promise<void>;
  claim(id: string): Promise<string | null>;
}

export function createRescue(store: Store, ttlMs: number): Rescue {
  return {
    keep: (id, code) => store.set(`rescue:${id}`, code, ttlMs),
    claim: (id) => store.take(`rescue:${id}`),
  };
}
