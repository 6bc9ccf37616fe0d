import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codeServerEntry } from './paths';
import { endMarked, type MarkedProcess, markerEnv } from './processes';

const run = promisify(execFile);

/** The throwaway folders one code-server profile keeps its state in. */
export interface CodeServerProfile {
  userDataDir: string;
  extensionsDir: string;
  /** HOME, XDG_CONFIG_HOME and XDG_DATA_HOME: code-server writes a config and logs there. */
  home: string;
}

/** Makes the folders of a profile under `root`. */
export function makeProfile(root: string): CodeServerProfile {
  const profile = {
    userDataDir: join(root, 'user-data'),
    extensionsDir: join(root, 'extensions'),
    home: join(root, 'home'),
  };
  for (const dir of Object.values(profile)) mkdirSync(dir, { recursive: true });
  return profile;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for code-server to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The environment of every code-server process (the extension host inherits it): the profile's
 * home, the run's marker, `extra`, and nothing of an enclosing VS Code.
 */
function serverEnv(
  profile: CodeServerProfile,
  tag: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A VS Code terminal's VSCODE_IPC_HOOK_CLI would make code-server hand the folder to that window.
    if (key.startsWith('VSCODE_') || key === 'NODE_OPTIONS' || key === 'ELECTRON_RUN_AS_NODE') continue;
    env[key] = value;
  }
  return {
    ...env,
    HOME: profile.home,
    XDG_CONFIG_HOME: join(profile.home, '.config'),
    XDG_DATA_HOME: join(profile.home, '.local/share'),
    ...extra,
    ...markerEnv(tag),
  };
}

/** Installs a packaged extension into the profile, as `code-server --install-extension` does. */
export async function installExtension(profile: CodeServerProfile, vsix: string, tag: string): Promise<void> {
  const { stdout, stderr } = await run(
    process.execPath,
    [
      codeServerEntry,
      '--user-data-dir',
      profile.userDataDir,
      '--extensions-dir',
      profile.extensionsDir,
      '--install-extension',
      vsix,
      '--force',
    ],
    { env: serverEnv(profile, `${tag}:install`), timeout: 60_000 },
  );
  if (!/successfully installed/i.test(stdout)) {
    throw new Error(`code-server did not install ${vsix}:\n${stdout}\n${stderr}`);
  }
}

/** One code-server on 127.0.0.1 serving one workspace from one profile; restartable on the same port. */
export class CodeServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly profile: CodeServerProfile,
    readonly workspace: string,
    readonly port: number,
    readonly logFile: string,
    readonly tag: string,
    /** Extra environment for the server and the extension host it starts. */
    readonly env: Record<string, string> = {},
  ) {}

  /** The workbench URL that opens the workspace. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  /** Starts the server and resolves once it answers its health check. */
  async start(): Promise<void> {
    if (this.child) throw new Error('code-server is already running');
    const log = openSync(this.logFile, 'a');
    writeSync(log, `\n--- ${new Date().toISOString()} starting code-server on 127.0.0.1:${this.port}\n`);
    const child = spawn(
      process.execPath,
      [
        codeServerEntry,
        '--bind-addr',
        `127.0.0.1:${this.port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-getting-started-override',
        '--user-data-dir',
        this.profile.userDataDir,
        '--extensions-dir',
        this.profile.extensionsDir,
        this.workspace,
      ],
      // Its own process group, so stop() ends it and whatever it forked in one signal.
      { detached: true, stdio: ['ignore', log, log], env: serverEnv(this.profile, this.tag, this.env) },
    );
    closeSync(log);
    this.child = child;
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        exitCode = code;
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`code-server exited (${exitCode}) while starting:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`code-server did not answer on 127.0.0.1:${this.port} within 60 s:\n${this.logTail()}`);
  }

  /**
   * Stops the server and everything it started (extension host, pty host, file watcher), waiting
   * until they are gone; returns the processes that needed a SIGKILL.
   */
  async stop(): Promise<MarkedProcess[]> {
    const child = this.child;
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // the group is gone already
      }
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), 10_000)),
      ]);
      if (timedOut) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        await this.exited;
      }
    }
    // Children outside the group (if any) end by themselves once the server is gone; give them a moment.
    return endMarked((p) => p.tag === this.tag);
  }

  /** Stops and starts the server on the same port with the same profile and workspace. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The last lines of the server's log, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
