// How client IPs are grouped for rate limits: split from rate-limit.ts by subject.

/**
 * The rate-limit group of a client IP.
 *
 * - IPv4: the address itself, in canonical dotted decimal.
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`, as Node reports IPv4 clients on a dual-stack socket):
 *   the IPv4 address, so both forms share one count.
 * - Other IPv6: its /56 prefix, e.g. `2001:db8:0:ab00::/56`. Providers give a home or a site a
 *   /56 (RIPE-690) and one machine can use any address in it, so counting per address would
 *   let one client rotate through 2^72 of them.
 * - Anything unparseable: `other:` and the (lower-cased, truncated) input, so it still gets a
 *   bucket of its own rather than an error.
 *
 * @example
 * ipKey('::ffff:203.0.113.7'); // '203.0.113.7'
 * ipKey('2001:db8:0:12ab::1'); // '2001:db8:0:1200::/56'
 */
export function ipKey(ip: string): string {
  return ipGroups(ip).key;
}

/** The /48 of an IPv6 client, or `null` for IPv4 (and IPv4-mapped) and unparseable input. */
export function ipv6SiteKey(ip: string): string | null {
  return ipGroups(ip).site;
}

/** {@link ipKey} and {@link ipv6SiteKey} of one address, parsing it once. */
export function ipGroups(ip: string): { key: string; site: string | null } {
  const input = String(ip).trim();
  const v4 = parseIpv4(input);
  if (v4 !== undefined) return { key: v4.join('.'), site: null };
  const v6 = parseIpv6(input);
  if (v6 === undefined) return { key: `other:${input.slice(0, 64).toLowerCase()}`, site: null };
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = v6;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return { key: [g >> 8, g & 0xff, h >> 8, h & 0xff].join('.'), site: null };
  }
  return {
    key: `${hex(a)}:${hex(b)}:${hex(c)}:${hex(d & 0xff00)}::/56`,
    site: `${hex(a)}:${hex(b)}:${hex(c)}::/48`,
  };
}

function hex(group: number): string {
  return group.toString(16);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;

function parseIpv4(input: string): number[] | undefined {
  const match = IPV4.exec(input);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((n) => n <= 255) ? octets : undefined;
}

/** Eight 16-bit groups, or undefined. Accepts `::` compression, a zone id and a dotted tail. */
function parseIpv6(raw: string): number[] | undefined {
  let input = raw.toLowerCase();
  if (input.startsWith('[') && input.endsWith(']')) input = input.slice(1, -1);
  const zone = input.indexOf('%');
  if (zone !== -1) input = input.slice(0, zone);
  if (input.length === 0 || input.length > 45) return undefined;

  const halves = input.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;

  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Parses `a:b:c` (possibly empty); only the last part of the address may be dotted IPv4. */
function groupsOf(part: string, mayEndInIpv4: boolean): number[] | undefined {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (mayEndInIpv4 && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      const [p = 0, q = 0, r = 0, s = 0] = v4;
      groups.push((p << 8) | q, (r << 8) | s);
    } else if (HEX_GROUP.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}
