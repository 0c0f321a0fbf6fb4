import { CookieJar } from './scanner-cookies';
import { encodeForm, formsOf } from './scanner-forms';
import { nodeScannerHttp } from './scanner-http';
import type { ScannerHttp, ScannerRequest, ScannerResponse } from './scanner-http';
import { navigationHeaders, referrerPolicyOf } from './scanner-navigation';
import type { Initiator } from './scanner-navigation';

// One simulated visit: a plan of requests followed hop by hop (redirects, forms), as a scanner
// does it. The scanners themselves are in `./scanners`.

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
