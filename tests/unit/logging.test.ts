import { errorKind, stackFrames } from '../../services/logging';

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
    expect(errorKind('Jane')).toBe('string');
  });
});
