// A broker as a child process on one data folder, restarted by SIGTERM or kill -9: the trust
// tests check what a reply promised against what a restart rebuilds.
import { TestClient, type Frame } from '../helpers/broker.js'
import { spawnBroker, type ChildBroker } from '../crash/child-broker.js'

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
