import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../lib/errors';

/**
 * docs/errors-and-events.md lists the error table for users. Each of its rows must match a row of
 * ERRORS (the code, its status, the English message), and every code must have one, so adding a
 * code without documenting it fails here.
 */

const PAGE = join(__dirname, '..', 'docs', 'errors-and-events.md');

interface DocumentedRow {
  statuses: number[];
  message: string;
}

function documentedRows(markdown: string): Map<string, DocumentedRow> {
  const rows = new Map<string, DocumentedRow>();
  for (const [, code, status, message] of markdown.matchAll(
    /^\| `(ERR_[A-Z_]+)` \| ([^|]+) \| [^|]+ \| ([^|]+) \|/gm,
  )) {
    rows.set(code!, {
      statuses: status!.split('/').map((s) => Number(s.trim())),
      message: message!.trim(),
    });
  }
  return rows;
}

describe('docs/errors-and-events.md', () => {
  const rows = documentedRows(readFileSync(PAGE, 'utf8'));

  it('lists every error code once, and no code that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it.each(Object.entries(ERRORS))(
    '%s: the status and English message match ERRORS',
    (code, row) => {
      const documented = rows.get(code);
      expect(documented?.statuses[0]).toBe(row.status);
      expect(documented?.message).toBe(row.message);
    },
  );
});
