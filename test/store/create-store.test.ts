// createStore builds the local store on the clock it is given (the broker's): the queues' timers
// (delays, visibility timeouts) run on that clock, not on the machine's.
import t from 'tap'
import { parseBrokerArgs, type BrokerConfig } from '../../broker/config.js'
import { createStore } from '../../broker/store/index.js'
import { ManualClock } from '../../shared/clock.js'
import { silentLogger } from '../../shared/logger.js'

t.test('the local store runs its timers on the clock it is given', async (t) => {
  const config = parseBrokerArgs(['--data', ':memory:'], {}) as BrokerConfig
  const clock = new ManualClock(1_700_000_000_000)
  const store = await createStore(config, silentLogger, { clock })
  await store.open()
  t.teardown(() => store.close())
  await store.declare({ queue: 'work', visibilityTimeout: 30 })
  await store.publish({ queue: 'work' }, [{ bodyJson: '"later"', delay: 60 }, { bodyJson: '"now"' }])
  const owner = { id: 1 }
  const first = await store.receive('work', { max: 10, wait: 0, owner })
  t.same(first.map((d) => d.bodyJson), ['"now"'], 'the delayed one waits')
  t.equal(first[0]?.publishedAt, clock.now(), 'published at the clock\'s time')
  clock.advance(30_000)
  t.match((await store.stats('work')).queues[0], { ready: 1, inflight: 0, delayed: 1 }, 'its visibility timeout ran out on the clock')
  clock.advance(30_000)
  t.match((await store.stats('work')).queues[0], { ready: 2, delayed: 0 }, 'its delay ran out on the clock')
})
