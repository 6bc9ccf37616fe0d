/**
 * Every process an end-to-end run starts (code-server and what it forks, Chromium and its helpers)
 * carries TALLY_E2E_OWNER=<pid of the mocha process> and a TALLY_E2E_TAG naming its server or
 * browser in its environment. Linux keeps a process's initial environment in /proc/<pid>/environ, so
 * what a run left behind can be found and ended even when a process escaped its group.
 */
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';

/** Environment variables that mark a process as started by this run. */
export function markerEnv(tag: string): Record<string, string> {
  return { TALLY_E2E_OWNER: String(process.pid), TALLY_E2E_TAG: tag };
}

/** One live process carrying the run's marker. */
export interface MarkedProcess {
  pid: number;
  owner: number;
  tag: string;
  command: string;
}

function environ(pid: number): Map<string, string> | undefined {
  try {
    const vars = new Map<string, string>();
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return vars;
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160);
  } catch {
    return '?';
  }
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Live processes whose marker matches; by default those of this run. */
export function markedProcesses(match: (p: MarkedProcess) => boolean = (p) => p.owner === process.pid) {
  const found: MarkedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const env = environ(pid);
    const owner = env?.get('TALLY_E2E_OWNER');
    if (!env || owner === undefined || isZombie(pid)) continue;
    const p = { pid, owner: Number(owner), tag: env.get('TALLY_E2E_TAG') ?? '', command: commandLine(pid) };
    if (match(p)) found.push(p);
  }
  return found;
}

/** SIGKILLs the matching processes until none is left; returns those it found the first time. */
export function killMarked(match?: (p: MarkedProcess) => boolean): MarkedProcess[] {
  const first = markedProcesses(match);
  let left = first;
  for (let round = 0; left.length > 0 && round < 20; round++) {
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // let them die before looking again
    left = markedProcesses(match);
  }
  return first;
}

/** Waits up to `ms` for the matching processes to exit by themselves, then kills what is left. */
export async function endMarked(match: (p: MarkedProcess) => boolean, ms = 5_000): Promise<MarkedProcess[]> {
  const deadline = Date.now() + ms;
  while (markedProcesses(match).length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  return killMarked(match);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ends what an earlier run left when it was killed too hard to clean up (its owner is gone). */
export function reapOrphans(): MarkedProcess[] {
  return killMarked((p) => p.owner !== process.pid && !alive(p.owner));
}

let handlersInstalled = false;
const throwawayDirs = new Set<string>();

/** Removes `dir` if the run ends (Ctrl-C, a kill, an exit) before `forgetOnExit(dir)`. */
export function removeOnExit(dir: string): void {
  throwawayDirs.add(dir);
}

/** Undoes `removeOnExit(dir)`, once its owner has removed it (or wants it kept). */
export function forgetOnExit(dir: string): void {
  throwawayDirs.delete(dir);
}

function cleanUp(): MarkedProcess[] {
  const killed = killMarked();
  if (!process.env.TALLY_E2E_KEEP)
    for (const dir of throwawayDirs) rmSync(dir, { recursive: true, force: true });
  throwawayDirs.clear();
  return killed;
}

/** On Ctrl-C, a kill or any exit, ends every process this run started and removes its throwaway folders. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => cleanUp());
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      const killed = cleanUp();
      process.stderr.write(`\ne2e: ${signal}: ended ${killed.length} process(es) this run had started\n`);
      process.exit(code);
    });
  }
}

/** A socket accepting connections (TCP LISTEN) or bound for datagrams (UDP), with its owner. */
export interface ListeningSocket {
  pid: number;
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  // /proc prints IPv6 as four host-order 32-bit words
  const bytes: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(word.slice(b * 2, b * 2 + 2));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(Number.parseInt(`${bytes[i]}${bytes[i + 1]}`, 16).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped) {
    const hi = Number.parseInt(mapped[1] ?? '0', 16);
    const lo = Number.parseInt(mapped[2] ?? '0', 16);
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return text;
}

/** The listening TCP sockets and bound UDP sockets that the given processes hold. */
export function listeningSockets(pids: number[]): ListeningSocket[] {
  const ownerOfInode = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) ownerOfInode.set(m[1], pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const out: ListeningSocket[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    let table = '';
    try {
      table = readFileSync(`/proc/net/${protocol}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [f[1], f[2], f[3], f[9]];
      if (!local || !remote || !state || !inode) continue;
      const pid = ownerOfInode.get(inode);
      if (pid === undefined) continue;
      const listening = protocol.startsWith('tcp') ? state === '0A' : /:0000$/.test(remote);
      if (!listening) continue;
      const [addr = '', portHex = '0'] = local.split(':');
      const port = Number.parseInt(portHex, 16);
      if (port !== 0) out.push({ pid, protocol, address: decodeAddress(addr), port });
    }
  }
  return out;
}
