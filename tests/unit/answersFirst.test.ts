/** Follow-up work waits for a moment when nobody is waiting for an answer, and never for long. */
import { AnswersFirst } from '../../bot/answersFirst';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await tick();
};

test('with nothing being answered, follow-up work starts on a later turn of the loop, not at once', async () => {
  const gate = new AnswersFirst(10_000);
  let started = false;
  const quiet = gate.quiet().then(() => (started = true));
  await Promise.resolve();
  expect(started).toBe(false);
  await quiet;
  expect(started).toBe(true);
});

test('follow-up work waits while any request is being answered, then goes in order', async () => {
  const gate = new AnswersFirst(10_000);
  const one = gate.begin();
  const two = gate.begin();
  const order: string[] = [];
  const a = gate.quiet().then(() => order.push('a'));
  const b = gate.quiet().then(() => order.push('b'));
  await ticks(5);
  expect(order).toEqual([]);
  one();
  await ticks(5);
  expect(order).toEqual([]);
  two();
  await Promise.all([a, b]);
  expect(order).toEqual(['a', 'b']);
});

test('one piece at a time: a request arriving after the first piece starts goes before the next', async () => {
  const gate = new AnswersFirst(10_000);
  const order: string[] = [];
  let arrived: (() => void) | undefined;
  const first = gate.begin();
  const a = gate.quiet().then(() => {
    order.push('a');
    arrived = gate.begin();
  });
  const b = gate.quiet().then(() => order.push('b'));
  first();
  await a;
  await ticks(5);
  expect(order).toEqual(['a']);
  arrived?.();
  await b;
  expect(order).toEqual(['a', 'b']);
});

test('ending a request twice counts once', async () => {
  const gate = new AnswersFirst(10_000);
  const kept = gate.begin();
  const ended = gate.begin();
  ended();
  ended();
  let started = false;
  void gate.quiet().then(() => (started = true));
  await ticks(5);
  expect(started).toBe(false);
  kept();
  await ticks(3);
  expect(started).toBe(true);
});

test('under constant load, follow-up work still starts after the longest wait', async () => {
  const gate = new AnswersFirst(30);
  gate.begin();
  const waited = Date.now();
  await gate.quiet();
  expect(Date.now() - waited).toBeGreaterThanOrEqual(25);
});
