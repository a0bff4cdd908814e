import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from '@swc/core';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../../services/config';

/** bot/gcTuning.ts as CommonJS, to run in a fresh Node as an entry point would. */
const tuningModule = transformSync(readFileSync(path.join(__dirname, '../../bot/gcTuning.ts'), 'utf8'), {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
}).code;

/**
 * A fresh Node that tunes its collector with `tuneGarbageCollection(percent)`, then keeps a live set
 * and churns through short-lived objects until the old generation has been collected. V8's verbose
 * trace prints the growing factor it set after each full collection.
 */
function tunedProcess(percent: number): { status: number | null; stdout: string; stderr: string; factors: string[] } {
  const script = `
    const v8 = require('node:v8');
    const module = { exports: {} };
    new Function('module', 'exports', 'require', process.argv[1])(module, module.exports, require);
    v8.setFlagsFromString('--trace-gc-verbose');
    module.exports.tuneGarbageCollection(Number(process.argv[2]));
    const live = Array.from({ length: 300000 }, (_, i) => ({ i, text: 'kept ' + i }));
    const recent = new Array(300000);
    for (let i = 0; i < 3000000; i++) recent[i % recent.length] = { i, text: 'turn ' + i };
    process.stdout.write('\\nlive ' + live.length + '\\n');
  `;
  const run = spawnSync(process.execPath, ['-e', script, tuningModule, String(percent)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 });
  const factors = [...run.stdout.matchAll(/\[HeapController\] Limit: .* \((\d+\.\d+)\)/g)].map((m) => m[1] ?? '');
  return { ...run, factors };
}

describe('garbage collection tuned for answering people (its effect on latency is measured by `npm run bench`)', () => {
  test('set at run time, the old generation may grow to five times what was live before it is collected again', () => {
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(400);
    const run = tunedProcess(DEFAULT_HEAP_GROWING_PERCENT);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('live 300000');
    expect(run.stderr).not.toContain('unrecognized');
    expect(run.factors.length).toBeGreaterThan(0);
    expect(new Set(run.factors)).toEqual(new Set(['5.0']));
  });

  test('0 leaves V8’s own growing factor, which never reaches five', () => {
    const run = tunedProcess(0);
    expect(run.status).toBe(0);
    expect(run.factors.length).toBeGreaterThan(0);
    expect(run.factors).not.toContain('5.0');
  });

  test('a flag a V8 does not know is reported and ignored: Node still starts', () => {
    const run = spawnSync(process.execPath, ['-e', "require('node:v8').setFlagsFromString('--no-such-flag-at-all'); process.stdout.write('started')"], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('started');
    expect(run.stderr).toContain('--no-such-flag-at-all');
  });
});
