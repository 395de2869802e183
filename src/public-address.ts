/**
 * Whether an IP address is on the public Internet, for webhook targets: a user must not be able
 * to aim the server at its own loopback, private networks, link-local (cloud metadata) or other
 * special-purpose ranges. Addresses are parsed and classified by ipaddr.js against the IANA
 * special-purpose registries; an IPv6 address that carries an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64
 * `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) is judged by the IPv4 address it carries, since
 * that is where a host, a translator or a relay would send the packets. Whatever ipaddr.js does
 * not call plain unicast (Teredo, local-use NAT64, documentation, benchmarking …) is refused.
 */
import ipaddr from "ipaddr.js";

/** The IPv4 address an IPv6 address embeds in a form that routes to it, or null. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const bytes = address.toByteArray();
  const words = address.parts;
  const zero = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  const tail = () => new ipaddr.IPv4(bytes.slice(12, 16));
  // ::a.b.c.d (compatible, deprecated) and ::ffff:a.b.c.d (mapped); :: and ::1 are themselves special.
  if (zero(0, 5) && (words[5] === 0xffff || (words[5] === 0 && !zero(6, 8) && !(words[6] === 0 && words[7] === 1)))) return tail();
  // ::ffff:0:a.b.c.d (SIIT, RFC 6145).
  if (zero(0, 4) && words[4] === 0xffff && words[5] === 0) return tail();
  // 64:ff9b::a.b.c.d (the NAT64 well-known prefix, RFC 6052).
  if (words[0] === 0x64 && words[1] === 0xff9b && zero(2, 6)) return tail();
  // 2002:aabb:ccdd::/48 (6to4, RFC 3056).
  if (words[0] === 0x2002) return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv4") return parsed.range() === "unicast";
  const embedded = embeddedIPv4(parsed as ipaddr.IPv6);
  if (embedded) return embedded.range() === "unicast";
  return parsed.range() === "unicast";
}

/**
 * Whether a URL's host is, as written, not a public address: an IP literal that is not public,
 * or `localhost`. Host names are checked again on the addresses they resolve to, at connect time.
 */
export function namesNonPublicHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return false;
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return ipaddr.isValid(host) && !isPublicAddress(host);
}
