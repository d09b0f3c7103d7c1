// kill -9 under pipelined publishing, again and again on the same data folder: every publish
// that was confirmed is delivered after the restart. Duplicates (at-least-once) are counted.
import t from 'tap'
import { tempDir, TestClient } from '../helpers/broker.js'
import { spawnBroker } from './child-broker.js'
import { drain, publishAndKill } from './cycle.js'

const CYCLES = 20

t.test(`kill -9 under pipelined publishing, ${CYCLES} cycles: every confirmed publish is delivered`, async (t) => {
  const dir = tempDir()
  t.teardown(() => dir.remove())
  const outstanding = new Set<string>()
  const delivered = new Set<string>()
  let duplicates = 0
  let confirmedTotal = 0
  for (let cycle = 0; cycle <= CYCLES; cycle++) {
    const broker = await spawnBroker(dir.path)
    const client = await TestClient.connect(broker.port)
    for (const mid of await drain(client, 'q')) {
      if (delivered.has(mid)) duplicates++
      delivered.add(mid)
      outstanding.delete(mid)
    }
    if (outstanding.size > 0) t.fail(`cycle ${cycle}: ${outstanding.size} confirmed messages were not delivered after kill -9`)
    await client.close()
    if (cycle === CYCLES) {
      broker.child.kill('SIGTERM')
      t.equal(await broker.exited, 0, 'the last broker stops cleanly')
      break
    }
    const confirms = 50 + ((cycle * 37) % 250)
    const confirmed = await publishAndKill(broker.port, confirms, () => broker.child.kill('SIGKILL'), cycle)
    await broker.exited
    for (const mid of confirmed) outstanding.add(mid)
    confirmedTotal += confirmed.length
  }
  t.ok(confirmedTotal >= CYCLES * 50, `${confirmedTotal} publishes confirmed across ${CYCLES} kills`)
  t.equal(outstanding.size, 0, 'every confirmed publish was delivered')
  t.comment(`duplicates delivered: ${duplicates}; unconfirmed publishes that survived: ${delivered.size - confirmedTotal}`)
})
