import { Writable } from 'node:stream';
import { createLogger, errorKind, stackFrames } from '../../services/logging';

/** A logger writing into an array, one parsed line per entry. */
function capturing() {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger('info', out), lines };
}

describe('what is logged of typed text', () => {
  test('redacted at any depth, inside arrays and in a child logger’s bindings; the object logged is left as it was', () => {
    const { log, lines } = capturing();
    const logged = { a: { b: { c: { d: { text: 'DEPTH FIVE typed words' } } } }, list: [{ summary: 'in an array' }], rethink: 'r-1' };
    log.info(logged, 'deep');
    log.child({ caseReference: 'PSCP-2026-0042' }).info({ count: 2 }, 'child');
    const all = lines.join('');
    for (const typed of ['DEPTH FIVE', 'in an array', 'PSCP-2026-0042']) expect(all).not.toContain(typed);
    expect(all).toContain('"rethink":"r-1"');
    expect(all).toContain('"count":2');
    expect(logged.a.b.c.d.text).toBe('DEPTH FIVE typed words');
  });

  test('an object that refers to itself is logged without looping; one met twice is logged twice; a date as its time; an error as its kind only', () => {
    const { log, lines } = capturing();
    const looped: Record<string, unknown> = { id: 'x' };
    looped.self = looped;
    const shared = { id: 'shared' };
    log.info({ looped, first: shared, second: shared, at: new Date('2026-12-07T12:00:00Z'), err: new TypeError('Jane Smith typed this') }, 'loop');
    const all = lines.join('');
    expect(all).toContain('"id":"x"');
    expect(all.match(/"id":"shared"/g)).toHaveLength(2);
    expect(all).toContain('2026-12-07T12:00:00.000Z');
    expect(all).toContain('TypeError');
    expect(all).not.toContain('Jane Smith');
  });
});

describe('what an error leaves in the log', () => {
  test('only its stack frames, never its message, even lines of the message that look like frames', () => {
    const typed = 'We met the family\n  at the school gate, and the child said\n    at home it is hard';
    const error = new TypeError(typed);
    const frames = stackFrames(error);
    expect(frames).not.toContain('school gate');
    expect(frames).not.toContain('at home');
    expect(frames.split('\n').every((line) => /^\s+at /.test(line))).toBe(true);
    expect(frames).toContain('logging.test');
  });

  test('an error whose stack does not start with its message gives no frames rather than risk the message', () => {
    const error = new Error('Jane Smith said no');
    error.stack = 'Something else\n    at Jane Smith said no\n    at somewhere (file.js:1:1)';
    expect(stackFrames(error)).toBe('');
    expect(stackFrames('not an error')).toBe('');
  });

  test('its kind: the name, and its cause’s name and code, never a message', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED with Jane'), { code: 'ECONNREFUSED' });
    expect(errorKind(new Error('Jane Smith', { cause }))).toBe('Error/Error:ECONNREFUSED');
    // A Cosmos DB refusal says which (a missing data role is 403, not a bug); never its message.
    expect(errorKind(Object.assign(new Error('Jane Smith is not allowed'), { code: 403, substatus: 5301 }))).toBe('Error:403.5301');
    expect(errorKind('Jane')).toBe('string');
  });
});
