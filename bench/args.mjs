// `--name=123` command-line flags of the bench scripts, as numbers.
export const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((arg) => /^--([\w-]+)=(\d+)$/.exec(arg))
    .filter(Boolean)
    .map(([, name, value]) => [name, Number(value)]),
);
