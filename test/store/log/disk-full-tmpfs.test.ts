// A full disk for real: a broker process with its data folder on a small tmpfs is filled by
// publishing, then every message is consumed and acked. The broker must free the space by
// itself, take publishes again, and never bring an acked message back after a restart.
// The test mounts the tmpfs itself, so it runs as root (and says so when it cannot).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, statfsSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, TestClient, type Frame } from '../../helpers/broker.js'
import { spawnBroker, type ChildBroker } from '../../crash/child-broker.js'

const DISK_MIB = 16

function mountTmpfs(path: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MIB}m`, 'tmpfs', path], { stdio: 'pipe' })
    return undefined
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`
  }
}

function freeBytes(path: string): number {
  const stats = statfsSync(path)
  return stats.bavail * stats.bsize
}

const dir = tempDir('hubq-tmpfs-')
const cannot = mountTmpfs(dir.path)
t.teardown(() => {
  if (cannot === undefined) execFileSync('umount', [dir.path])
  dir.remove()
})

t.test(`a ${DISK_MIB} MiB tmpfs filled by publishing frees itself once everything is acked`, { skip: cannot }, async (t) => {
  const data = join(dir.path, 'data')
  mkdirSync(data)
  let broker: ChildBroker | undefined
  t.teardown(async () => {
    if (broker && broker.child.exitCode === null) {
      broker.child.kill('SIGKILL')
      await broker.exited
    }
  })
  broker = await spawnBroker(data)
  let client = await TestClient.connect(broker.port)
  const body = 'x'.repeat(4000)
  let confirmed = 0
  let refused: Frame | undefined
  while (refused === undefined && confirmed < 100_000) {
    const reply = await client.request({ op: 'publish', queue: 'q', messages: Array.from({ length: 50 }, () => ({ body })) })
    if (reply.ok) confirmed += reply.mids.length
    else refused = reply
  }
  t.equal(refused?.error?.code, 'unavailable', `the disk filled after ${confirmed} confirmed messages, and the next publish was refused`)
  t.ok(freeBytes(dir.path) < 1024 * 1024, `the tmpfs is (nearly) full: ${freeBytes(dir.path)} bytes free`)

  let acked = 0
  for (;;) {
    const got = await client.request({ op: 'receive', queue: 'q', max: 100 })
    if (got.messages.length === 0) break
    acked += (await client.request({ op: 'ack', receipts: got.messages.map((m: Frame) => m.receipt) })).acked
  }
  t.equal(acked, confirmed, 'every confirmed message was delivered and acked')

  const deadline = Date.now() + 10_000
  let after: Frame
  for (;;) {
    after = await client.request({ op: 'publish', queue: 'q', body: 'after' })
    if (after.ok || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(after.ok, true, `publishes are taken again once the acked messages' space is freed (${JSON.stringify(after.error)})`)
  t.ok(freeBytes(dir.path) > (DISK_MIB / 2) * 1024 * 1024, `the space was freed: ${freeBytes(dir.path)} bytes free`)
  await client.close()
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0, 'the broker stops cleanly')

  broker = await spawnBroker(data)
  client = await TestClient.connect(broker.port)
  const left = await client.request({ op: 'receive', queue: 'q', max: 100 })
  t.same(left.messages.map((m: Frame) => m.body), ['after'], 'after a restart: no acked message comes back')
  await client.close()
  broker.child.kill('SIGTERM')
  t.equal(await broker.exited, 0)
})
