/**
 * Someone waiting for an answer goes first: everyone's card is updated once no request is being
 * answered. Driven over HTTP, with a second request held half-sent so that it stays in progress.
 */
import { request } from 'node:http';
import { execute, message, newGroupChat, users } from '../helpers/activities';
import { cardOf } from '../helpers/connector';
import { Driver } from '../helpers/driver';
import { cardText, send, startTestBed, type TestBed } from '../helpers/harness';

let bed: TestBed;
beforeAll(async () => {
  // Long enough that only the held request ending can let the update go.
  bed = await startTestBed({ followUpMaxWaitMs: 60_000 });
});
afterAll(() => bed.stop());

/** Sends the headers and half the body of a message, and holds the rest until `finish()`. */
async function holdRequest(url: string, activity: object): Promise<{ finish(): Promise<number> }> {
  const body = Buffer.from(JSON.stringify(activity));
  const half = Math.floor(body.length / 2);
  const target = new URL('/api/messages', url);
  const req = request(target, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } });
  const answered = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  // Awaited by `finish`; never left to crash the run if a test fails before it gets there.
  answered.catch(() => undefined);
  req.write(body.subarray(0, half));
  // The app has read the held request's headers once a request sent after them is answered.
  await fetch(new URL('/healthz', url));
  return {
    finish: async () => {
      req.end(body.subarray(half));
      return answered;
    },
  };
}

test('everyone’s card waits while another request is being answered, then shows the change', async () => {
  const driver = new Driver(bed.app, bed.connector, newGroupChat());
  const { rethinkId, cardId } = await driver.start(users.megan);
  const updatesBefore = bed.connector.updates(driver.conversation.id).length;

  const held = await holdRequest(bed.app.url, message('help', { user: users.adele, conversation: newGroupChat(), serviceUrl: bed.connector.serviceUrl }));
  let heldStatus: number;
  try {
    const answer = await send(bed.app, execute('contribute', { rethinkId, contribution: 'Heard while someone else waited' }, driver.where(users.megan)));
    expect(cardText((answer.body as { value: Record<string, unknown> }).value)).toContain('Heard while someone else waited');
    // The answer came back; everyone's card is not touched while the other request is in progress.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bed.connector.updates(driver.conversation.id).length).toBe(updatesBefore);
  } finally {
    heldStatus = await held.finish();
  }
  expect(heldStatus).toBe(200);
  await bed.app.idle();
  const updates = bed.connector.updates(driver.conversation.id);
  expect(updates.length).toBeGreaterThan(updatesBefore);
  expect(updates.at(-1)?.activityId).toBe(cardId);
  expect(cardText(cardOf(updates.at(-1)!))).toContain('Heard while someone else waited');
});
