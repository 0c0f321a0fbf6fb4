import { MagicLinkError } from '../errors';

/** Rejects with `ERR_PROVIDER_UNAVAILABLE` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new MagicLinkError(
            'ERR_PROVIDER_UNAVAILABLE',
            `The provider did not answer within ${ms} ms`,
          ),
        ),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
