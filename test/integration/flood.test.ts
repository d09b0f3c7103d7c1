// A flood of bad input on one connection neither takes the broker down nor starves another.
import t from 'tap'
import { startBroker, TestClient } from '../helpers/broker.js'

t.test('bad input on one connection, steady work on another', async (t) => {
  const b = await startBroker({ limits: { maxFrame: 4096 } })
  t.teardown(() => b.stop())
  const bad = await TestClient.connect(b.port, 'text')
  const good = await TestClient.connect(b.port, 'binary')
  t.teardown(() => Promise.all([bad.close(), good.close()]))

  const junk = [
    'not json at all', '{"op":', '[]', '42', '{"op":7}', '{"op":"nope","id":1}', '{"op":"publish"}',
    '{"op":"receive","queue":"bad name"}', '{"op":"ack","receipt":"forged"}', '{"id":{},"op":"ping"}',
    '\u0000\u0001\u0002garbage', '{"op":"publish","queue":"q","body":1,"attrs":{"k":1}}',
  ]
  const rounds = 400
  let goodReplies = 0
  for (let round = 0; round < rounds; round++) {
    bad.socket.write(junk.join('\n') + '\n')
    if (round % 40 === 0) {
      const reply = await good.request({ op: 'publish', id: round, queue: 'steady', body: round })
      if (reply.ok === true && reply.id === round) goodReplies++
    }
  }
  const expected = rounds * junk.length
  let errors = 0
  for (let i = 0; i < expected; i++) {
    const reply = await bad.reply()
    if (reply.ok === false && typeof reply.error?.code === 'string') errors++
  }
  t.equal(errors, expected, `all ${expected} bad requests answered with an error`)
  t.equal(goodReplies, rounds / 40, 'the other connection was served throughout')
  t.same(await bad.request({ op: 'ping', id: 'after' }), { id: 'after', ok: true }, 'the flooding connection still works')
  t.match((await good.request({ op: 'stats', queue: 'steady' })).queues, [{ ready: rounds / 40 }])
})

t.test('random binary garbage ends that connection only', async (t) => {
  const b = await startBroker({ limits: { maxFrame: 4096 } })
  t.teardown(() => b.stop())
  const good = await TestClient.connect(b.port)
  t.teardown(() => good.close())
  let seed = 7
  const byte = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff
  for (let n = 0; n < 20; n++) {
    const noisy = await TestClient.connect(b.port, 'binary')
    const chunk = Buffer.alloc(2048, 0)
    for (let i = 1; i < chunk.length; i++) chunk[i] = byte()
    noisy.socket.on('error', () => {}) // the broker may hang up while we still write
    noisy.socket.write(chunk)
    noisy.socket.end()
    await noisy.closed
  }
  t.same(await good.request({ op: 'ping', id: 1 }), { id: 1, ok: true }, 'still serving')
})
