import {
  CookieJar,
  encodeForm,
  formsOf,
  navigationHeaders,
  nodeScannerHttp,
  referrerPolicyOf,
} from './scanner-engine';
import type { Initiator, ScannerHttp, ScannerRequest, ScannerResponse } from './scanner-engine';

export type { ScannerHttp, ScannerRequest, ScannerResponse } from './scanner-engine';
export { fetchScannerHttp, nodeScannerHttp } from './scanner-engine';

/**
 * Email security scanners, simulated from what public reports say they do, to prove a sign-in
 * survives them. Each simulation opens the link like its scanner: its methods, user agent,
 * redirect following, cookies kept within one visit, and (for the sandboxes that "detonate" a
 * link) every form on every page it reaches submitted as headless Chrome would.
 *
 * Where the public reports do not pin a detail, the comment says so and the simulation takes
 * the harsher choice: a scanner that looks like a person and does more than reported is a
 * stronger test than one that is easy to tell apart.
 */

/** Why a request was made. */
export type HopCause = 'link' | 'redirect' | 'form';

/** One request of a visit and its answer. */
export interface ScannerHop {
  cause: HopCause;
  request: ScannerRequest;
  status: number;
  /** The `Location` header, when the answer had one. */
  location: string | null;
  setCookie: string[];
  body: string;
}

/**
 * One browsing session of a scanner: it starts from the link with an empty cookie jar and keeps
 * the cookies it is given until it ends.
 */
export interface ScannerVisit {
  scanner: string;
  /** What this visit does, e.g. "GET in headless Chrome, following redirects, submitting every form". */
  visit: string;
  hops: ScannerHop[];
  /** The cookies the visit held at its end, as `name=value` (every host it reached). */
  cookies: string[];
}

/** Opens a link like one scanner does; returns its visits in order. */
export type ScannerSimulation = (link: string, http: ScannerHttp) => Promise<ScannerVisit[]>;

export interface Scanner {
  name: string;
  simulate: ScannerSimulation;
}

/** How one visit behaves. */
export interface VisitPlan {
  /** Shown in reports and errors. */
  visit: string;
  method: 'GET' | 'HEAD';
  userAgent: string;
  /** Follow `Location` on 301, 302, 303, 307 and 308, as a browser does. */
  followRedirects: boolean;
  /**
   * Submit every form of every page reached, in order: any HTML answer that is not a redirect,
   * whatever its status (a browser renders a 400 or 403 page and its forms like any other).
   */
  submitForms: boolean;
}

/** Redirects one navigation follows, as in Chromium. */
const MAX_REDIRECTS = 20;
/** A bound on one visit's requests, so a page that keeps offering new forms cannot loop. */
const MAX_HOPS = 40;

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}

function isPage(response: ScannerResponse): boolean {
  if (isRedirect(response.status) || response.status < 200) return false;
  const type = response.headers['content-type'];
  return type === undefined ? /<form\b/i.test(response.body) : /html/i.test(type);
}

/**
 * Runs one visit of `plan` against `link` with a fresh cookie jar. Exported so an app can
 * describe a scanner of its own (e.g. one its users report) with the same machinery.
 */
export async function scannerVisit(
  scanner: string,
  plan: VisitPlan,
  link: string,
  http: ScannerHttp = nodeScannerHttp,
): Promise<ScannerVisit> {
  const jar = new CookieJar();
  const hops: ScannerHop[] = [];
  const submitted = new Set<string>();

  /** One navigation: the first request and, when the plan says so, its redirects. */
  async function navigate(
    first: { method: ScannerRequest['method']; url: string; body?: string; contentType?: string },
    initiator: Initiator | null,
    cause: HopCause,
  ): Promise<{ url: string; response: ScannerResponse } | null> {
    let { method, url, body, contentType } = first;
    const chain = [url];
    for (let redirects = 0; hops.length < MAX_HOPS; redirects++) {
      const headers = navigationHeaders({
        method,
        chain,
        initiator,
        userAgent: plan.userAgent,
        ...(body !== undefined && contentType ? { contentType } : {}),
      });
      const cookie = jar.header(url);
      if (cookie) headers.cookie = cookie;
      const request: ScannerRequest = { method, url, headers, ...(body !== undefined && { body }) };
      const response = await http(request);
      jar.store(url, response.setCookie);
      const location = response.headers.location ?? null;
      hops.push({
        cause: redirects === 0 ? cause : 'redirect',
        request,
        status: response.status,
        location,
        setCookie: response.setCookie,
        body: response.body,
      });
      if (!plan.followRedirects || !isRedirect(response.status) || location === null)
        return { url, response };
      if (redirects === MAX_REDIRECTS) return null;
      url = new URL(location, url).href;
      chain.push(url);
      // Fetch's redirect rules: 303 turns anything but HEAD into GET; 301 and 302 turn POST
      // into GET; 307 and 308 keep the method and the body.
      const toGet =
        (response.status === 303 && method !== 'HEAD') ||
        ((response.status === 301 || response.status === 302) && method === 'POST');
      if (toGet) {
        method = 'GET';
        body = undefined;
        contentType = undefined;
      }
    }
    return null;
  }

  /** Submits every form of a page, then every form of the pages those submissions reach. */
  async function submitEveryForm(page: string, response: ScannerResponse): Promise<void> {
    const initiator: Initiator = { page, referrerPolicy: referrerPolicyOf(response) };
    for (const form of formsOf(response.body, page)) {
      if (hops.length >= MAX_HOPS) return;
      const { body, contentType } = encodeForm(form);
      const key = `${form.method} ${form.url} ${form.method === 'POST' ? body : ''}`;
      if (submitted.has(key)) continue;
      submitted.add(key);
      const landed = await navigate(
        form.method === 'POST'
          ? { method: 'POST', url: form.url, body, contentType }
          : { method: 'GET', url: form.url },
        initiator,
        'form',
      );
      if (landed && isPage(landed.response)) await submitEveryForm(landed.url, landed.response);
    }
  }

  const landed = await navigate({ method: plan.method, url: link }, null, 'link');
  if (plan.submitForms && plan.method === 'GET' && landed && isPage(landed.response))
    await submitEveryForm(landed.url, landed.response);
  return { scanner, visit: plan.visit, hops, cookies: jar.pairs() };
}

/** Builds a simulation from its visits, each run with a fresh cookie jar, one after another. */
export function simulation(scanner: string, plans: readonly VisitPlan[]): Scanner {
  return {
    name: scanner,
    async simulate(link, http) {
      const visits: ScannerVisit[] = [];
      for (const plan of plans) visits.push(await scannerVisit(scanner, plan, link, http));
      return visits;
    },
  };
}

/**
 * Desktop Chrome on Windows. Used where a vendor's fetcher is not documented to identify
 * itself: the harsher choice, since it cannot be told from a person's browser by user agent.
 */
export const DESKTOP_CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36';

/** Headless Chrome, as seen from Safe Links' detonation (emdash-cms/emdash#3298, fleetdm/fleet#26976). */
export const HEADLESS_CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/125.0.6422.141 Safari/537.36';

/** Outlook's link preview, as logged in HyphaApp/hypha#4535. */
export const MICROSOFT_PREVIEW_UA =
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MicrosoftPreview/2.0; +https://aka.ms/MicrosoftPreview) Chrome/100.0.4896.127 Safari/537.36';

/** Google's snippet fetcher, as logged in pinterest/snappass#85. */
export const GOOGLE_SNIPPET_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0.2924.87 Safari/537.36 Google (+https://developers.google.com/+/web/snippet/)';

/**
 * Microsoft Defender for Office 365 Safe Links.
 *
 * - Links are scanned before delivery, and "URLs that don't have a valid reputation are
 *   detonated asynchronously in the background" (Microsoft, "Safe Links in Microsoft Defender
 *   for Office 365", learn.microsoft.com/defender-office-365/safe-links-about; the
 *   recommended "Wait for URL scanning to complete before delivering the message").
 * - HEAD, then GET, both before the person's click: better-auth/better-auth#9690 (log excerpt).
 * - From Microsoft's network, a headless-Chrome user agent, no cookies: emdash-cms/emdash#3298;
 *   plain desktop Chrome user agents vary between requests: opencollective/opencollective#3656,
 *   fleetdm/fleet#26976.
 * - It runs the page's JavaScript (FusionAuth/fusionauth-issues#629, comment of 2020-12-01;
 *   fleetdm/fleet#26976), and "bots can also click on buttons" (nextauthjs/next-auth#1840,
 *   comment of 2024-06-06); magiclinksdev#2: it "may ... perform other user-like actions".
 *
 * Not pinned by those reports, so the harsher choice: every form on every page reached is
 * submitted with the page's own headers (`Origin`, `Sec-Fetch-Site: same-origin`, `Referer`
 * as the page's referrer policy allows), and cookies are kept across the visit's hops.
 */
export const microsoftSafeLinks: Scanner = simulation('Microsoft Safe Links', [
  {
    visit: 'pre-delivery HEAD, following redirects',
    method: 'HEAD',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: true,
    submitForms: false,
  },
  {
    visit: 'detonation: GET in headless Chrome, following redirects, submitting every form',
    method: 'GET',
    userAgent: HEADLESS_CHROME_UA,
    followRedirects: true,
    submitForms: true,
  },
]);

/**
 * Mimecast Targeted Threat Protection, URL Protect.
 *
 * - Links are rewritten; on a click, Mimecast checks the destination and "determines if the
 *   link downloads to a file directly and scans for potentially malicious content in the file"
 *   (Mimecast Community, "How Does Targeted Threat Protection - URL Protect Work?", DOC-1027),
 *   i.e. it fetches the URL itself; it "performs URL sandboxing for each and every click"
 *   (University of South Australia IT help, "Email Security: URL Protect").
 * - One-time links break: goauthentik/authentik#8953 (comment of 2024-04-24); "Mimecast clicks
 *   on links in emails as a core security function" (electricalcertificates.co.uk help page).
 *
 * Not pinned: its user agent (desktop Chrome here), whether its fetch follows redirects (one
 * visit that does not and one that does), and whether its sandbox submits forms (it does here).
 */
export const mimecastUrlProtect: Scanner = simulation('Mimecast URL Protect', [
  {
    visit: 'click-time check: GET, not following redirects',
    method: 'GET',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: false,
    submitForms: false,
  },
  {
    visit: 'sandbox: GET, following redirects, submitting every form',
    method: 'GET',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: true,
    submitForms: true,
  },
]);

/**
 * Proofpoint Targeted Attack Protection, URL Defense.
 *
 * - Links are rewritten to urldefense.proofpoint.com / urldefense.com; a click is analysed in
 *   real time before the redirect (Proofpoint Essentials, "Troubleshooting issues with URL
 *   Defense"; Vircom, "Things to Know About Proofpoint URL Defense"), and clicks go "to an
 *   isolated sandbox" that scans the destination (University of Hawaii, "Proofpoint URL
 *   Defense (URL rewrite)").
 * - Passwordless links broken by it: FusionAuth/fusionauth-issues#629 (comment of 2021-07-02);
 *   better-auth/better-auth#9690 lists it among the scanners that consume tokens.
 *
 * Not pinned: its user agent (desktop Chrome here), HEAD or GET (both here, without following
 * redirects), and whether the sandbox submits forms (it does here).
 */
export const proofpointUrlDefense: Scanner = simulation('Proofpoint URL Defense', [
  {
    visit: 'reputation check: HEAD, not following redirects',
    method: 'HEAD',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: false,
    submitForms: false,
  },
  {
    visit: 'reputation check: GET, not following redirects',
    method: 'GET',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: false,
    submitForms: false,
  },
  {
    visit: 'sandbox: GET, following redirects, submitting every form',
    method: 'GET',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: true,
    submitForms: true,
  },
]);

/**
 * Barracuda Email Protection, Link Protection.
 *
 * - Links are rewritten to linkprotect.cudasvc.com and analysed in real time when clicked
 *   (Barracuda Campus, "Understanding Link Protection"); "The process of verifying links in
 *   email requires those links to be 'clicked'" (Barracuda Campus, Sentinel, "Unwanted Link
 *   Clicks").
 * - Magic links invalidated by it: supabase/auth#1214.
 *
 * Not pinned: user agent (desktop Chrome here), HEAD or GET (a HEAD, then GET), redirect
 * following (one visit without, one with), and form submission (it does here).
 */
export const barracudaLinkProtection: Scanner = simulation('Barracuda Link Protection', [
  {
    visit: 'click check: HEAD, not following redirects',
    method: 'HEAD',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: false,
    submitForms: false,
  },
  {
    visit: 'click check: GET, following redirects, submitting every form',
    method: 'GET',
    userAgent: DESKTOP_CHROME_UA,
    followRedirects: true,
    submitForms: true,
  },
]);

/**
 * Gmail link previews and Google's safe-browsing fetch.
 *
 * - better-auth/better-auth#9690 lists Google Safe Browsing among the fetchers that consume
 *   magic links; supabase/auth-js#503 (maintainer, 2022-10-19): "email client's prefetching
 *   the email link"; supabase/auth#713: links that "don't pass through" Workspace mail.
 * - A Google fetcher previewing a shared link, with its user agent: pinterest/snappass#85.
 *
 * Not pinned: whether Gmail itself fetches with that user agent (assumed), and redirect
 * following (it follows here). A preview fetcher reads a page; it is not reported to submit
 * forms, and does not here.
 */
export const googleLinkPreview: Scanner = simulation('Gmail / Google link preview', [
  {
    visit: 'preview: GET, following redirects',
    method: 'GET',
    userAgent: GOOGLE_SNIPPET_UA,
    followRedirects: true,
    submitForms: false,
  },
]);

/**
 * Outlook link previews (Outlook on the web, Outlook.com).
 *
 * - "Outlook Web Access uses a Bing crawler to perform some kind of preview of links":
 *   aaugustin/django-sesame#45; BingPreview: radiasoft/sirepo#1937; a GET with the
 *   `MicrosoftPreview/2.0` user agent from Microsoft's network: HyphaApp/hypha#4535.
 *
 * Not pinned: a HEAD first (sent here) and redirect following (it follows here). Not reported
 * to submit forms, and does not here.
 */
export const outlookLinkPreview: Scanner = simulation('Outlook link preview', [
  {
    visit: 'preview: HEAD, following redirects',
    method: 'HEAD',
    userAgent: MICROSOFT_PREVIEW_UA,
    followRedirects: true,
    submitForms: false,
  },
  {
    visit: 'preview: GET, following redirects',
    method: 'GET',
    userAgent: MICROSOFT_PREVIEW_UA,
    followRedirects: true,
    submitForms: false,
  },
]);

/** Every simulation, harshest first. */
export const scanners: readonly Scanner[] = [
  microsoftSafeLinks,
  mimecastUrlProtect,
  proofpointUrlDefense,
  barracudaLinkProtection,
  googleLinkPreview,
  outlookLinkPreview,
];

/** Runs every simulation (or those given) against one link, one after another; returns every visit. */
export async function runScanners(
  link: string,
  http: ScannerHttp = nodeScannerHttp,
  list: readonly Scanner[] = scanners,
): Promise<ScannerVisit[]> {
  const visits: ScannerVisit[] = [];
  for (const scanner of list) visits.push(...(await scanner.simulate(link, http)));
  return visits;
}

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
