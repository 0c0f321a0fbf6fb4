import { escapeHtml } from '../html';
import type { Html } from '../html';
import type { Translation } from '../i18n/index';

export { Html, html } from '../html';

// No script and no external resources, so the pages work under helmet's default CSP
// (inline <style> is allowed there: style-src 'self' https: 'unsafe-inline').
const STYLE = `
:root{color-scheme:light dark;--accent:#2b59c3}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:Canvas;color:CanvasText}
main{max-width:28rem;margin:10vh auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 1rem}
p{margin:0 0 1rem}
form{margin:0 0 1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{width:100%;font:inherit;padding:.625rem .75rem;border:1px solid #888;border-radius:.375rem;margin-bottom:1rem;background:Field;color:FieldText}
input.code{letter-spacing:.3em;font-size:1.25rem;text-align:center}
p.code{font:700 2rem/1.2 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.3em;text-align:center;margin:1.5rem 0}
button{font:inherit;font-weight:600;padding:.625rem 1rem;border:0;border-radius:.375rem;background:var(--accent);color:#fff;cursor:pointer;width:100%}
button.link{background:none;color:var(--accent);text-decoration:underline;padding:0;width:auto}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.muted{opacity:.8;font-size:.9rem}
.error{border-inline-start:4px solid #c62828;padding-inline-start:.75rem}
hr{border:0;border-top:1px solid #8886;margin:1.5rem 0}
`;

// Pages whose URL carries a code must not leak it in a Referer to another site. `same-origin`
// sends none off-site, like `no-referrer`; but under `no-referrer` Chromium posts the page's own
// forms with `Origin: null`, and over plain http on a non-localhost host it sends no
// Sec-Fetch-Site either, so the same-origin check could not tell them from a cross-site post.
// `lang` and `dir` come from the request's language; the CSS uses logical properties
// (border-inline-start, padding-inline-start), so right-to-left pages mirror on their own.
export function layout(t: Pick<Translation, 'locale' | 'dir'>, title: string, body: Html): string {
  return `<!doctype html>
<html lang="${escapeHtml(t.locale)}" dir="${t.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.value}
</main>
</body>
</html>
`;
}
