import { nodeScannerHttp } from './scanner-http';
import type { ScannerHttp } from './scanner-http';
import { simulation } from './scanner-visit';
import type { Scanner, ScannerVisit } from './scanner-visit';

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
