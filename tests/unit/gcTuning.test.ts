import { spawnSync } from 'node:child_process';
import { GC_FLAGS } from '../../bot/gcTuning';

/** Sets the flags at run time in a fresh Node, as `tuneGarbageCollection` does, and reports what V8 said. */
function setAtRunTime(flags: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const script = "const v8 = require('node:v8'); for (const f of JSON.parse(process.argv[1])) v8.setFlagsFromString(f); process.stdout.write('started');";
  return spawnSync(process.execPath, ['-e', script, JSON.stringify(flags)], { encoding: 'utf8' });
}

describe('garbage collection tuned for answering people (its effect is measured by `npm run bench`)', () => {
  test('this Node’s V8 knows every flag, so none is silently ignored', () => {
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const flag of GC_FLAGS) {
      const name = flag.replace(/^--(no-)?/, '').replace(/=.*$/, '');
      expect(known).toContain(`--${name} `);
    }
    const run = setAtRunTime(GC_FLAGS);
    expect(run).toMatchObject({ status: 0, stdout: 'started', stderr: '' });
  });

  test('a flag a later V8 may not know is reported and ignored: Node still starts', () => {
    const run = setAtRunTime(['--no-such-flag-at-all', ...GC_FLAGS]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('started');
    expect(run.stderr).toContain('--no-such-flag-at-all');
  });
});
