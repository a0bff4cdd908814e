/**
 * The Agents Playground (the local Teams client) that `npm start` runs beside the bot. It is told to
 * listen on this machine only (on its own it listens on every interface, and anyone reaching it could
 * read every card and act as anyone), is started only on a free port (on a busy one it silently
 * moves elsewhere, so the page to open would be another instance's), and keeps its log, which holds
 * every message in full, in a folder of its own that is removed when it stops.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface LocalPlayground {
  readonly url: string;
  /** Where its log is while it runs. */
  readonly log: string;
  stop(): void;
}

export type PlaygroundStart = { ok: true; playground: LocalPlayground } | { ok: false; message: string };

/** Loaded into the playground's process: a server told no host listens on 127.0.0.1, not everywhere. */
const LOOPBACK_ONLY = `'use strict';
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  if (first === undefined || typeof first === 'function') args.unshift(0, '127.0.0.1');
  else if (typeof first === 'number' || typeof first === 'string') {
    if (typeof second !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (typeof first === 'object' && first.host === undefined && first.path === undefined && first.handle === undefined && first.fd === undefined) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
`;

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

export async function startLocalPlayground(botEndpoint: string, port: number, onExit: (code: number | null, log: string) => void): Promise<PlaygroundStart> {
  if (!(await portIsFree(port))) {
    return {
      ok: false,
      message: `The Agents Playground was not started: port ${port} is in use. Is Re-think already running (another terminal, or one left from before)? Stop it, or set PLAYGROUND_PORT to a free port.`,
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rethink-playground-'));
  const preload = path.join(dir, 'loopback-only.cjs');
  writeFileSync(preload, LOOPBACK_ONLY);
  const log = path.join(dir, 'playground.log');
  const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
  // Its own working folder: nothing of the project's is read or written (no config file, no devTools/).
  // The bot answers at the service URL the playground gives: 127.0.0.1, where it listens (its default says localhost).
  const child = spawn(process.execPath, ['--require', preload, cli, '-e', botEndpoint, '-c', 'msteams', '--dt', '-p', String(port), '--service-url', `http://127.0.0.1:${port}/_connector`], {
    cwd: dir,
    env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none', APPLICATION_INSIGHTS_NO_STATSBEAT: 'true', M365_AGENTS_PLAYGROUND_LOGFILE: log },
    stdio: 'ignore',
  });
  let stopping = false;
  const remove = () => rmSync(dir, { recursive: true, force: true });
  child.on('error', () => undefined);
  child.on('exit', (code) => {
    if (!stopping) onExit(code, log);
  });
  return {
    ok: true,
    playground: {
      url: `http://localhost:${port}`,
      log,
      stop: () => {
        stopping = true;
        if (child.exitCode === null && child.signalCode === null) child.kill();
        remove();
      },
    },
  };
}
