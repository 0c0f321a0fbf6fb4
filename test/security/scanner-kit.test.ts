import request from 'supertest';
import {
  expectScannerSafe,
  HEADLESS_CHROME_UA,
  proofpointUrlDefense,
  ScannerSafetyError,
  scanners,
  simulation,
} from '../../lib/testing/index';
import type { ScannerVisit } from '../../lib/testing/index';
import { createTestApp } from '../helpers/app';
import type { TestApp, TestAppOptions } from '../helpers/app';
import { askForLink, clickAsUser, nextEmail, signedInWith } from '../helpers/sign-in';

/**
 * The scanner kit (`express-magic-link/testing`) against the real app: real Express on
 * 127.0.0.1, the real WorkOS SDK against the emulator, real SMTP. Each sign-in link is opened
 * by every simulated scanner before the person clicks it.
 */

const EMAIL = 'victim@example.com';

const PROVIDERS = [
  { name: 'self-hosted', app: { provider: 'self-hosted' } as TestAppOptions },
  { name: 'WorkOS, our email (/open)', app: { provider: 'workos', delivery: 'smtp' } },
  {
    name: 'WorkOS Magic Auth, our email',
    app: { provider: 'workos-magic-auth', delivery: 'smtp' },
  },
] as const;

/** The modes in which every scanner must come away with nothing. Add 'relay' here. */
const SAFE_MODES = ['relay', 'deny'] as const;

async function signInLink(
  options: TestAppOptions,
): Promise<{ t: TestApp; agent: request.Agent; link: string }> {
  const t = await createTestApp(options);
  const agent = request.agent(t.url);
  await askForLink(agent, EMAIL);
  const { link } = await nextEmail(t, EMAIL);
  return { t, agent, link };
}

function scannerSignIns(t: TestApp): unknown[] {
  return t.events.filter((e) => e.type === 'sign_in');
}

describe.each(PROVIDERS)('The scanner kit against $name links', ({ app }) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it.each(SAFE_MODES)(
    'passes under crossDevice %s: no scanner holds a session, and the click signs in',
    async (crossDevice) => {
      const made = await signInLink({ ...app, router: { crossDevice } });
      t = made.t;
      const checked: ScannerVisit[] = [];
      const { visits } = await expectScannerSafe({
        link: made.link,
        isSignedIn: async (cookies, visit) => {
          checked.push(visit);
          return signedInWith(made.t, cookies);
        },
        completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
      });

      // Every simulation ran, every visit was checked, and the forms were really submitted.
      expect(new Set(visits.map((v) => v.scanner))).toEqual(new Set(scanners.map((s) => s.name)));
      expect(checked).toEqual(visits);
      expect(visits.every((v) => v.hops.length > 0 && v.hops[0]!.request.url === made.link)).toBe(
        true,
      );
      // Only the person's own click signed in.
      expect(scannerSignIns(made.t)).toHaveLength(1);
    },
  );

  it('fails under crossDevice "confirm", naming Microsoft Safe Links and its form submission', async () => {
    const made = await signInLink({ ...app, router: { crossDevice: 'confirm' } });
    t = made.t;
    const error = await expectScannerSafe({
      link: made.link,
      isSignedIn: (cookies) => signedInWith(made.t, cookies),
      completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
    }).then(
      () => null,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(ScannerSafetyError);
    const failure = error as ScannerSafetyError;
    expect(failure.message).toMatch(/^Sign-in is not scanner-safe:\n- Microsoft Safe Links signed/);
    expect(failure.message).toContain('submitting every form');
    expect(failure.failures[0]).toEqual({
      kind: 'session',
      scanner: 'Microsoft Safe Links',
      visit: 'detonation: GET in headless Chrome, following redirects, submitting every form',
    });
    // The session came from pressing "Continue signing in" with the page's own headers.
    const detonation = failure.visits.find((v) => v.visit.startsWith('detonation'))!;
    const post = detonation.hops.find((h) => h.cause === 'form')!;
    expect(post.request.method).toBe('POST');
    expect(post.request.headers.origin).toBe(made.t.url);
    expect(post.request.headers['sec-fetch-site']).toBe('same-origin');
    expect(post.status).toBe(303);
    expect(scannerSignIns(made.t)[0]).toMatchObject({ method: 'confirmed' });
    // ...so the person's click found the link spent.
    expect(failure.failures.map((f) => f.kind)).toContain('link-burnt');
  });
});

describe('The scanner kit against WorkOS-branded email (delivery "workos")', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function workosLink(crossDevice: 'confirm' | 'deny') {
    t = await createTestApp({ provider: 'workos', delivery: 'workos', router: { crossDevice } });
    const agent = request.agent(t.url);
    await askForLink(agent, EMAIL);
    const outbox = await t.outbox();
    expect(outbox).toHaveLength(1);
    return { t, agent, link: outbox[0]!.link };
  }

  it('passes under "deny" when the first scanner follows the redirect: its code is kept for the browser that asked', async () => {
    const made = await workosLink('deny');
    await expectScannerSafe({
      link: made.link,
      isSignedIn: (cookies) => signedInWith(made.t, cookies),
      completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
    });
  });

  it('reports a burnt link when the only scanner does not follow the redirect (the documented limit)', async () => {
    const made = await workosLink('deny');
    const error = await expectScannerSafe({
      link: made.link,
      isSignedIn: (cookies) => signedInWith(made.t, cookies),
      completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
      scanners: [proofpointUrlDefense],
    }).then(
      () => null,
      (err: unknown) => err as ScannerSafetyError,
    );
    expect(error).toBeInstanceOf(ScannerSafetyError);
    expect(error!.failures).toEqual([
      { kind: 'link-burnt', scanner: 'Proofpoint URL Defense', visit: 'one of the visits' },
    ]);
    expect(error!.message).toContain("The person's own click failed after Proofpoint URL Defense");
    expect(scannerSignIns(made.t)).toEqual([]);
  });

  // Safe Links' HEAD goes first and spends WorkOS's link without a page to confirm, so the
  // whole list passes here. A detonation that is first to open the link is another matter.
  it('fails under "confirm" when a detonation is the first to open the link: it confirms the code it delivered', async () => {
    const made = await workosLink('confirm');
    const detonationOnly = simulation('Detonation first', [
      {
        visit: 'GET, following redirects, submitting every form',
        method: 'GET',
        userAgent: HEADLESS_CHROME_UA,
        followRedirects: true,
        submitForms: true,
      },
    ]);
    await expect(
      expectScannerSafe({
        link: made.link,
        isSignedIn: (cookies) => signedInWith(made.t, cookies),
        completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
        scanners: [detonationOnly],
      }),
    ).rejects.toThrow(/- Detonation first signed itself in \(GET, following/);
    expect(scannerSignIns(made.t)[0]).toMatchObject({ method: 'confirmed' });
  });

  it('passes the whole list under "confirm": the HEAD spends the link, the click is rescued', async () => {
    const made = await workosLink('confirm');
    await expectScannerSafe({
      link: made.link,
      isSignedIn: (cookies) => signedInWith(made.t, cookies),
      completeAsUser: () => clickAsUser(made.t, made.agent, made.link, EMAIL),
    });
    expect(scannerSignIns(made.t)).toHaveLength(1);
  });
});
