/**
 * For a `describe` block that needs a binary this machine lacks: on CI (`CI=true`) the block
 * fails, naming what is missing; elsewhere it is skipped with a loud banner, so a green local
 * run never hides that these tests did not run.
 */
export function describeMissing(
  name: string,
  needs: string,
  missing: string,
  fn: (get: () => never) => void,
): void {
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it(`needs ${needs}`, () => {
        throw new Error(`${missing} CI=true, so this is a failure, not a skip.`);
      });
    });
    return;
  }
  console.warn(
    [
      '',
      '='.repeat(78),
      `SKIPPED: ${needs} not installed — tests did not run (${name})`,
      missing,
      '='.repeat(78),
      '',
    ].join('\n'),
  );
  describe.skip(name, () => {
    fn(() => {
      throw new Error(missing);
    });
  });
}
