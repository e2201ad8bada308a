// Makes sure the server binaries the test harness starts are installed:
// PostgreSQL, Redis, etcd and RabbitMQ from Debian's packages. As root with
// apt-get available it installs what is missing; otherwise it says what to
// install. Under CI a missing binary is an error, never a silent skip.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const needs = [
  { pkg: 'postgresql', paths: ['/usr/lib/postgresql/15/bin/postgres', '/usr/lib/postgresql/16/bin/postgres', '/usr/lib/postgresql/17/bin/postgres'] },
  { pkg: 'redis-server', paths: ['/usr/bin/redis-server'] },
  { pkg: 'etcd-server', paths: ['/usr/bin/etcd'] },
  { pkg: 'rabbitmq-server', paths: ['/usr/sbin/rabbitmq-server', '/usr/lib/rabbitmq/bin/rabbitmq-server'] },
];

const missing = needs.filter((need) => !need.paths.some((path) => existsSync(path))).map((need) => need.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  console.log(`ensure-services: installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Debian starts a service on install; the tests start their own on free
  // ports, so a policy-rc.d that forbids starts keeps default ports free.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
  process.exit(0);
}

const message = `ensure-services: missing ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`;
if (process.env.CI) {
  console.error(message);
  process.exit(1);
}
console.warn(`${message}\n(the tests that need them are skipped outside CI)`);
