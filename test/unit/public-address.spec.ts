/**
 * The webhook address classifier (src/public-address.ts), checked on addresses alone: nothing
 * is sent anywhere. Every IPv6 form that embeds an IPv4 address is judged by that address.
 */
import fc from "fast-check";
import { isPublicAddress, namesNonPublicHost } from "../../src/public-address";
import { isPrivateAddress } from "../../src/channels/webhook";

describe("isPublicAddress", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    // IPv4 embedded in IPv6 (issue 8, finding 11).
    "::127.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::127.0.0.1",
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::1",
    "2002:7f00:1::",
    "2002:c0a8:101::1",
    "::ffff:169.254.169.254",
    // Tunnels and special ranges that are not plain unicast.
    "2001::1",
    "2001:db8::1",
    "2001:2::1",
    "100::1",
    "not an address",
    "",
  ])("should refuse %s", (address) => {
    expect(isPublicAddress(address)).toBe(false);
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])(
    "should allow %s",
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.tuple(octet, octet, octet, octet);
  const hex = ([a, b, c, d]: number[]) => [(a << 8) | b, (c << 8) | d].map((word) => word.toString(16));
  const embeddings = ([a, b, c, d]: number[]) => {
    const [high, low] = hex([a, b, c, d]);
    return [
      `::ffff:${a}.${b}.${c}.${d}`,
      `::ffff:${high}:${low}`,
      `::ffff:0:${a}.${b}.${c}.${d}`,
      `64:ff9b::${high}:${low}`,
      `2002:${high}:${low}::1`,
    ];
  };

  it("should judge every IPv4-embedding form exactly as the IPv4 address itself", () => {
    fc.assert(
      fc.property(ipv4, (parts) => {
        const verdict = isPublicAddress(parts.join("."));
        for (const form of embeddings(parts)) expect([form, isPublicAddress(form)]).toEqual([form, verdict]);
      }),
      { numRuns: 3000 },
    );
  });

  it("should refuse every address in the private and loopback networks, in every form", () => {
    const privateIPv4 = fc.oneof(
      fc.tuple(fc.constant(10), octet, octet, octet),
      fc.tuple(fc.constant(127), octet, octet, octet),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
      fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
      fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
    );
    fc.assert(
      fc.property(privateIPv4, (parts) => {
        expect(isPublicAddress(parts.join("."))).toBe(false);
        for (const form of embeddings(parts)) expect([form, isPublicAddress(form)]).toEqual([form, false]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("namesNonPublicHost", () => {
  it.each([
    ["http://127.0.0.1/x", true],
    ["http://[::127.0.0.1]/", true],
    ["http://[::ffff:0:127.0.0.1]/", true],
    ["http://[64:ff9b::7f00:1]/", true],
    ["http://2130706433/", true], // 127.0.0.1 written as one number
    ["http://0x7f.1/", true],
    ["http://localhost:3000/", true],
    ["http://api.localhost/", true],
    ["https://hooks.example.com/x", false], // a name: judged on what it resolves to, at connect time
    ["https://8.8.8.8/", false],
    ["not a url", false],
  ])("%s → %s", (url, expected) => {
    expect(namesNonPublicHost(url)).toBe(expected);
  });
});
