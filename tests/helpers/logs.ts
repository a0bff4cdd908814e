/** The app's log, as the lines it writes, for tests that check what is (and is not) logged. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../services/logging';
import type { LogLevel } from '../../services/config';

export interface CapturedLog {
  readonly lines: string[];
  logger(level: LogLevel): Logger;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: (level) => createLogger(level, sink) };
}
