// Proves a child process opens no network connection. `noNetworkEnv()` gives an environment whose
// NODE_OPTIONS preloads a guard into every Node process started with it: any TCP/Unix socket
// connect (net.Socket#connect, which http, undici/fetch and tls all go through), any
// 'net.client.socket' diagnostics event, any UDP send and any DNS lookup is recorded in a log file
// and then fails. `networkViolations()` reads that log; a test asserts it is empty.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const GUARD_SOURCE = `
import dc from 'node:diagnostics_channel';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';
const log = process.env.APOLLO_NO_NETWORK_LOG;
function violation(kind, target) {
  const line = JSON.stringify({ pid: process.pid, kind, target: String(target), argv: process.argv.slice(1).join(' ') });
  if (log) appendFileSync(log, line + '\\n');
  return new Error('no-network guard: ' + kind + ' to ' + target + ' was attempted in a test that forbids the network');
}
function describe(args) {
  const a = args[0];
  if (a && typeof a === 'object') return a.path ?? ((a.host ?? 'localhost') + ':' + a.port);
  return args.filter((x) => typeof x !== 'function').join(':');
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const e = violation('connect', describe(Array.isArray(args[0]) ? args[0] : args));
  process.nextTick(() => this.destroy(e));
  return this;
};
void connect;
dc.subscribe('net.client.socket', (message) => { violation('net.client.socket', message?.socket?.remoteAddress ?? 'socket'); });
for (const m of ['send', 'connect']) {
  dgram.Socket.prototype[m] = function (...args) { throw violation('udp ' + m, describe(args)); };
}
// An IP literal resolves to itself without any query (server.listen('127.0.0.1') passes one).
const realLookup = dns.lookup;
const realPromisesLookup = dns.promises.lookup;
const lookup = (host, ...rest) => {
  if (net.isIP(String(host)) !== 0) return realLookup(host, ...rest);
  const cb = rest.find((x) => typeof x === 'function');
  const e = violation('dns lookup', host);
  if (cb) process.nextTick(() => cb(e));
  else throw e;
};
dns.lookup = lookup;
dns.promises.lookup = async (host, ...rest) => {
  if (net.isIP(String(host)) !== 0) return realPromisesLookup(host, ...rest);
  throw violation('dns lookup', host);
};
`;

let guardFile: string | undefined;

function guardPath(): string {
  if (guardFile === undefined || !existsSync(guardFile)) {
    const dir = mkdtempSync(join(tmpdir(), 'apollo-no-network-'));
    guardFile = join(dir, 'no-network-guard.mjs');
    writeFileSync(guardFile, GUARD_SOURCE);
  }
  return guardFile;
}

export interface NoNetwork {
  /** Merge into the child's environment. */
  env: NodeJS.ProcessEnv;
  /** The connections (or lookups) the child attempted; empty when it kept off the network. */
  violations(): Array<{ pid: number; kind: string; target: string; argv: string }>;
}

export function noNetwork(): NoNetwork {
  const log = join(mkdtempSync(join(tmpdir(), 'apollo-no-network-log-')), 'violations.jsonl');
  writeFileSync(log, '');
  const existing = process.env.NODE_OPTIONS ?? '';
  return {
    env: { NODE_OPTIONS: `${existing} --import=${pathToFileURL(guardPath()).href}`.trim(), APOLLO_NO_NETWORK_LOG: log },
    violations: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { pid: number; kind: string; target: string; argv: string }),
  };
}

// The guard above sees what Node code does; a native library (onnxruntime's telemetry uploader,
// ffmpeg) connects and resolves names below it. `nativeNetworkTrace()` runs a command under strace
// (every thread and child) and reads back, from the kernel's side, every non-loopback
// connect/sendto/sendmsg and every name lookup glibc starts (its nscd socket or /etc/hosts,
// which getaddrinfo reads before asking a DNS server).
export interface NativeNetworkTrace {
  /** Put in front of the command: `[strace, ...args, command, ...commandArgs]`. */
  prefix: string[];
  /** The system calls that reached (or tried to reach) the network, as strace printed them. */
  violations(): string[];
}

/** Whether strace can be used here (Linux with strace installed: CI installs it). */
export function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const LOOPBACK = /inet_addr\("127\.|inet_pton\(AF_INET6, "(::1|::ffff:127\.)/;

export function nativeNetworkTrace(): NativeNetworkTrace {
  const log = join(mkdtempSync(join(tmpdir(), 'apollo-strace-')), 'trace.log');
  return {
    prefix: ['strace', '-f', '-qq', '-e', 'trace=connect,sendto,sendmsg,openat', '-o', log],
    violations: () =>
      (existsSync(log) ? readFileSync(log, 'utf8') : '')
        .split('\n')
        .filter((line) => {
          if (/\b(connect|sendto|sendmsg)\(/.test(line) && /AF_INET6?\b/.test(line)) return !LOOPBACK.test(line);
          return line.includes('/var/run/nscd/socket') || /openat\(.*"\/etc\/hosts"/.test(line);
        }),
  };
}
