/** Option checks that throw a `TypeError` saying how to fix the option. */

export function nonEmpty(name: string, value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(
      `startWorkOSEmulator: ${name} must be a non-empty string. Omit it for the default.`,
    );
  }
  return value;
}

export function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `startWorkOSEmulator: ${name} must be true or false. Omit it for the default (${fallback}).`,
    );
  }
  return value;
}

export function positiveNumber(
  name: string,
  value: unknown,
  fallback: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(
      `startWorkOSEmulator: ${name} must be a positive ${integer ? 'integer' : 'number'}. Omit it for the default (${fallback}).`,
    );
  }
  return value;
}
