import { describe, expect, it } from 'vitest';
import { parsePeerAddress } from './peer-address.js';

describe('parsePeerAddress', () => {
  it.each([
    ['127.0.0.1:50312', '127.0.0.1'],
    ['ipv4:127.0.0.1:50312', '127.0.0.1'],
    ['ipv6:[::1]:50312', '::1'],
    ['[::1]:50312', '::1'],
    ['::1:50312', '::1'],
    ['::1:8080', '::1'],
    ['::ffff:10.1.2.3:443', '::ffff:10.1.2.3'],
    ['fe80::1', 'fe80::1'],
    ['10.0.0.7', '10.0.0.7'],
  ])('%s → %s', (peer, address) => {
    expect(parsePeerAddress(peer)).toBe(address);
  });

  it.each(['unknown', '', 'unix:/tmp/grpc.sock', 'ipv6:[::1', 'example.com:443', 'ipv4:1.2.3:5'])('%j has no address', (peer) => {
    expect(parsePeerAddress(peer)).toBeUndefined();
  });

  it('tolerates a non-string', () => {
    expect(parsePeerAddress(undefined)).toBeUndefined();
  });
});
