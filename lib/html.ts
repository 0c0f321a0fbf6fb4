/** The one way this package builds HTML: pages, mail templates, the dev mailbox and the emulator. */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes `& < > " '`, so the result is safe in HTML text and in a double- or single-quoted
 * attribute value.
 *
 * @example
 * escapeHtml('<b>"Tom & Jerry"</b>'); // '&lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;'
 */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Tagged template that escapes every interpolation unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    if (value instanceof Html) out += value.value;
    else if (Array.isArray(value))
      out += value.map((v) => (v instanceof Html ? v.value : escapeHtml(String(v)))).join('');
    else if (value !== null && value !== undefined && value !== false)
      out += escapeHtml(String(value));
    out += strings[i + 1] ?? '';
  });
  return new Html(out);
}
