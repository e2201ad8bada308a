import { BlockList, isIP } from 'node:net';

const CACHE_SIZE = 1024;

/** Matches remote addresses against a list of CIDRs (IPv4, IPv6, IPv4-mapped IPv6). */
export interface CidrMatcher {
  has(address: string | undefined): boolean;
}

/**
 * Compiles `cidrs` once into a `node:net` BlockList.
 *
 * @throws {TypeError} naming `option` when an entry is not an address or CIDR.
 */
export function compileCidrs(option: string, cidrs: readonly string[]): CidrMatcher {
  const list = new BlockList();
  cidrs.forEach((entry, i) => {
    if (typeof entry !== 'string') throw new TypeError(`${option}[${i}] must be a string such as "10.0.0.0/8"`);
    const [address = '', prefixText] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new TypeError(`${option}[${i}]: "${entry}" is not an IP address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      return;
    }
    const prefix = Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new TypeError(`${option}[${i}]: "${entry}" has an invalid prefix length`);
    }
    list.addSubnet(address, prefix, type);
  });
  const check = (address: string): boolean => {
    // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
  // BlockList.check builds a SocketAddress per call (~1.2 µs on Node 20), most
  // of an ingress' budget; callers repeat (proxies, keep-alive peers), so
  // remember answers. Bounded: a flood of distinct addresses costs a clear,
  // never unbounded memory.
  const cache = new Map<string, boolean>();
  // Consecutive requests mostly come from one peer (a proxy, a gateway):
  // comparing a short string beats hashing it into the map.
  let lastAddress = '';
  let lastAnswer = false;
  return {
    has(address) {
      if (address === undefined || address === '') return false;
      if (address === lastAddress) return lastAnswer;
      let trusted = cache.get(address);
      if (trusted === undefined) {
        trusted = check(address);
        if (cache.size >= CACHE_SIZE) cache.clear();
        cache.set(address, trusted);
      }
      lastAddress = address;
      lastAnswer = trusted;
      return trusted;
    },
  };
}
