import { isIP } from 'node:net';

/**
 * The remote IP address in a grpc-js peer string, for the trust policy.
 *
 * grpc-js servers report `127.0.0.1:50312` or `::1:50312` (address, a colon,
 * the port); resolvers and channelz use `ipv4:127.0.0.1:50312` and
 * `ipv6:[::1]:50312`. Anything else (`unix:...`, `unknown`) has no address,
 * and an untrusted caller is what it gets treated as.
 */
export function parsePeerAddress(peer: string | undefined): string | undefined {
  if (typeof peer !== 'string' || peer === '' || peer === 'unknown') return undefined;
  let rest = peer;
  if (rest.startsWith('ipv4:') || rest.startsWith('ipv6:')) rest = rest.slice(5);
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end === -1) return undefined;
    const address = rest.slice(1, end);
    return isIP(address) === 0 ? undefined : address;
  }
  // Port first: `::1:8080` is also a valid IPv6 address, but grpc-js always
  // appends the port of a TCP peer, so the last group is the port.
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && /^[0-9]{1,5}$/.test(rest.slice(colon + 1))) {
    const address = rest.slice(0, colon);
    if (isIP(address) !== 0) return address;
  }
  return isIP(rest) === 0 ? undefined : rest;
}
