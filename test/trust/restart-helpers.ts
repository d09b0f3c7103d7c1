// A broker as a child process on one data folder, restarted by SIGTERM or kill -9: the trust
// tests check what a reply promised against what a restart rebuilds.
import { TestClient, tempDir, type Frame } from '../helpers/broker.js'
import { spawnBroker, type ChildBroker } from '../crash/child-broker.js'

/** What the helpers need of a tap test. */
interface Tap {
  teardown(fn: () => unknown): void
}

export type Stop = 'SIGTERM' | 'SIGKILL'

export interface Running {
  broker: ChildBroker
  client: TestClient
}

export async function start(data: string, extra: string[] = []): Promise<Running> {
  const broker = await spawnBroker(data, extra)
  const client = await TestClient.connect(broker.port)
  client.socket.on('error', () => undefined)
  return { broker, client }
}

/** Stops the broker the given way and waits for the process to be gone. */
export async function halt(running: Running, signal: Stop): Promise<void> {
  running.broker.child.kill(signal)
  await running.broker.exited
  running.client.socket.destroy()
}

/** Sends a request and insists on an ok reply. */
export async function ok(client: TestClient, request: Frame): Promise<Frame> {
  const reply = await client.request(request)
  if (reply.ok !== true) throw new Error(`${JSON.stringify(request)} failed: ${JSON.stringify(reply)}`)
  return reply
}

/** One queue's line of `stats`. */
export async function queueStats(client: TestClient, queue: string): Promise<Frame> {
  const reply = await ok(client, { op: 'stats', queue })
  return reply.queues[0] as Frame
}

/**
 * `rounds` times on one data folder: a broker is started, `round` readies the round and names
 * the requests under test, they are sent at once, and the broker is killed -9 the moment their
 * last reply is in. Returns each round's replies, for the caller to check what was promised.
 */
export async function killedAfterReplies(
  t: Tap, data: string, rounds: number, round: (running: Running, i: number) => Promise<Frame[]>,
): Promise<Frame[][]> {
  const all: Frame[][] = []
  for (let i = 0; i < rounds; i++) {
    const running = await start(data)
    t.teardown(() => running.broker.child.kill('SIGKILL'))
    const requests = await round(running, i)
    for (const request of requests) running.client.send(request)
    const replies: Frame[] = []
    for (let n = 0; n < requests.length; n++) replies.push(await running.client.reply())
    running.broker.child.kill('SIGKILL')
    all.push(replies)
    await halt(running, 'SIGKILL')
  }
  return all
}

/** One more broker on the folder for the checks, stopped by SIGTERM once `check` is done. */
export async function restarted(t: Tap, data: string, check: (running: Running) => Promise<void>): Promise<void> {
  const running = await start(data)
  t.teardown(() => running.broker.child.kill('SIGKILL'))
  await check(running)
  await halt(running, 'SIGTERM')
}

/** A fresh data folder, removed when the test ends. */
export function dataFolder(t: Tap): string {
  const data = tempDir()
  t.teardown(() => data.remove())
  return data.path
}
