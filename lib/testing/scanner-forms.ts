// An HTML form reader, as headless Chrome submits forms, for the scanner simulations.

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt|nbsp);/gi, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>', nbsp: '\u00a0' }[lower] ?? '';
  });
}

/** The attributes of one start tag, names lower-cased, values unescaped. */
export function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const inner = tag.replace(/^<\s*[\w-]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    const name = m[1]!.toLowerCase();
    if (name in attributes) continue;
    attributes[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attributes;
}

/** A form as a browser would submit it with its first submit button. */
export interface SubmittedForm {
  method: 'GET' | 'POST';
  /** Absolute. For GET, the query is already the form's fields. */
  url: string;
  enctype: 'application/x-www-form-urlencoded' | 'multipart/form-data' | 'text/plain';
  fields: [string, string][];
}

/** Every `<form>` of a page, each as its default submission (HTML's form-submission algorithm, simplified). */
export function formsOf(html: string, pageUrl: string): SubmittedForm[] {
  const forms: SubmittedForm[] = [];
  const base = /<base\b[^>]*>/i.exec(html);
  const baseHref = base ? attributesOf(base[0]).href : undefined;
  const baseUrl = baseHref ? new URL(baseHref, pageUrl).href : pageUrl;
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form\s*>/gi)) {
    const formTag = /^<form\b[^>]*>/i.exec(m[0])![0];
    const form = attributesOf(formTag);
    const body = m[1]!;
    const fields: [string, string][] = [];
    let submitter: Record<string, string> | null = null;
    const controls = body.matchAll(
      /<(input|button|select|textarea)\b[^>]*>(?:([\s\S]*?)<\/\1\s*>)?/gi,
    );
    for (const c of controls) {
      const kind = c[1]!.toLowerCase();
      const tag = /^<[^>]*>/.exec(c[0])![0];
      const a = attributesOf(tag);
      if ('disabled' in a) continue;
      const type = (a.type ?? (kind === 'button' ? 'submit' : 'text')).toLowerCase();
      if ((kind === 'button' || kind === 'input') && (type === 'submit' || type === 'image')) {
        submitter ??= a;
        continue;
      }
      if (a.name === undefined || a.name === '') continue;
      if (kind === 'button' || ['button', 'reset', 'file'].includes(type)) continue;
      if (kind === 'textarea') fields.push([a.name, decodeEntities(c[2] ?? '')]);
      else if (kind === 'select') {
        const options = [...(c[2] ?? '').matchAll(/<option\b[^>]*>([^<]*)/gi)];
        const chosen =
          options.find((o) => 'selected' in attributesOf(/^<[^>]*>/.exec(o[0])![0])) ?? options[0];
        if (chosen) {
          const oa = attributesOf(/^<[^>]*>/.exec(chosen[0])![0]);
          fields.push([a.name, oa.value ?? decodeEntities(chosen[1]!.trim())]);
        }
      } else if (type === 'checkbox' || type === 'radio') {
        if ('checked' in a) fields.push([a.name, a.value ?? 'on']);
      } else fields.push([a.name, a.value ?? '']);
    }
    if (submitter?.name) fields.push([submitter.name, submitter.value ?? '']);
    const actionAttr = submitter?.formaction ?? form.action ?? '';
    const method = (submitter?.formmethod ?? form.method ?? 'get').toLowerCase();
    const enctypeAttr = (submitter?.formenctype ?? form.enctype ?? '').toLowerCase();
    const enctype =
      enctypeAttr === 'multipart/form-data' || enctypeAttr === 'text/plain'
        ? enctypeAttr
        : 'application/x-www-form-urlencoded';
    const url = new URL(actionAttr === '' ? pageUrl : actionAttr, baseUrl);
    url.hash = '';
    if (method === 'post') {
      forms.push({ method: 'POST', url: url.href, enctype, fields });
    } else {
      url.search = new URLSearchParams(fields).toString();
      forms.push({ method: 'GET', url: url.href, enctype, fields });
    }
  }
  return forms;
}

/** A form's body and content type, as a browser encodes it. */
export function encodeForm(form: SubmittedForm): { body: string; contentType: string } {
  if (form.enctype === 'multipart/form-data') {
    const boundary = '----WebKitFormBoundaryScannerKit0000';
    const parts = form.fields.map(
      ([name, value]) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '%22')}"\r\n\r\n${value}\r\n`,
    );
    return {
      body: `${parts.join('')}--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
    };
  }
  if (form.enctype === 'text/plain') {
    return {
      body: form.fields.map(([n, v]) => `${n}=${v}\r\n`).join(''),
      contentType: 'text/plain',
    };
  }
  return {
    body: new URLSearchParams(form.fields).toString(),
    contentType: 'application/x-www-form-urlencoded',
  };
}
