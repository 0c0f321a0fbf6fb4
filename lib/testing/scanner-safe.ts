import { nodeScannerHttp } from './scanner-http';
import type { ScannerHttp } from './scanner-http';
import { scanners } from './scanners';
import type { Scanner, ScannerVisit } from './scanner-visit';

// `expectScannerSafe`: every simulated scanner visits a link, and none of them signs in.

/** One visit as readable lines: `POST http://… (form) → 303 → /account`. */
export function describeVisit(visit: ScannerVisit): string {
  const lines = visit.hops.map((hop) => {
    const via = hop.cause === 'link' ? '' : ` (${hop.cause})`;
    const to = hop.location ? ` → ${hop.location}` : '';
    return `    ${hop.request.method} ${hop.request.url}${via} → ${hop.status}${to}`;
  });
  return [`  ${visit.scanner}, ${visit.visit}:`, ...lines].join('\n');
}

/** What `expectScannerSafe` needs from the app under test. */
export interface ScannerSafeOptions {
  /** The sign-in link, as the person received it. */
  link: string;
  /**
   * Whether these cookies (one visit's jar, `name=value`) hold a session, by the app's own
   * check, e.g. `GET /account` with `Cookie: cookies.join('; ')` answering 200.
   */
  isSignedIn(cookies: string[], visit: ScannerVisit): Promise<boolean>;
  /** The person's own click, after the scanners, in the browser that asked: true if it signed in. */
  completeAsUser(): Promise<boolean>;
  http?: ScannerHttp;
  /** @default scanners (all of them) */
  scanners?: readonly Scanner[];
}

/** What went wrong, one entry per scanner visit that signed in, or one for a burnt link. */
export interface ScannerFailure {
  kind: 'session' | 'link-burnt';
  scanner: string;
  visit: string;
}

/** Thrown by `expectScannerSafe`; the message names each failing scanner and visit. */
export class ScannerSafetyError extends Error {
  override name = 'ScannerSafetyError';
  constructor(
    message: string,
    readonly failures: readonly ScannerFailure[],
    readonly visits: readonly ScannerVisit[],
  ) {
    super(message);
  }
}

/**
 * Runs every scanner simulation against `link` (each visit with a fresh cookie jar), then
 * checks that (a) no visit ended holding a session and (b) the person's own click still signs
 * in. Throws a `ScannerSafetyError` naming each scanner and visit at fault; returns the visits
 * otherwise. Works under any test runner: it throws plain errors.
 *
 * When the person's click fails, the link was burnt by one of the visits listed; run with
 * `scanners: [oneScanner]` and a fresh link to find which.
 */
export async function expectScannerSafe(
  options: ScannerSafeOptions,
): Promise<{ visits: ScannerVisit[] }> {
  const http = options.http ?? nodeScannerHttp;
  const list = options.scanners ?? scanners;
  const visits: ScannerVisit[] = [];
  const failures: ScannerFailure[] = [];
  const problems: string[] = [];
  for (const scanner of list) {
    for (const visit of await scanner.simulate(options.link, http)) {
      visits.push(visit);
      if (await options.isSignedIn(visit.cookies, visit)) {
        failures.push({ kind: 'session', scanner: scanner.name, visit: visit.visit });
        problems.push(
          `${scanner.name} signed itself in (${visit.visit}); its cookies: ${visit.cookies.join('; ')}\n${describeVisit(visit)}`,
        );
      }
    }
  }
  let clicked: boolean;
  try {
    clicked = await options.completeAsUser();
  } catch (err) {
    throw new ScannerSafetyError(
      `completeAsUser threw after the scanners ran: ${(err as Error).message}`,
      failures,
      visits,
    );
  }
  if (!clicked) {
    const names = [...new Set(visits.map((v) => v.scanner))];
    failures.push({ kind: 'link-burnt', scanner: names.join(', '), visit: 'one of the visits' });
    problems.push(
      `The person's own click failed after ${names.join(', ')} opened the link: one of these visits burnt it\n${visits.map(describeVisit).join('\n')}`,
    );
  }
  if (failures.length > 0) {
    throw new ScannerSafetyError(
      `Sign-in is not scanner-safe:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      failures,
      visits,
    );
  }
  return { visits };
}
