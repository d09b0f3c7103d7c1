// With auth on, the HTTP endpoints take the same tokens (PROTOCOL.md §7.4): Bearer, admin on "*" for /metrics and /api/stats.
import t from 'tap'
import { BrokerMetrics } from '../../broker/http/metrics.js'
import { startHttpServer } from '../../broker/http/server.js'
import { authFrom, startHardened } from './helpers.js'

const FILE = {
  tokens: [
    { name: 'ops', token: 'ops-token-123456', admin: ['*'] },
    { name: 'narrow', token: 'narrow-token-1234', admin: ['jobs.*'] },
  ],
}

t.test('metrics need a Bearer token with admin on every name; healthz stays open', async (t) => {
  const auth = authFrom(FILE)
  const metrics = new BrokerMetrics()
  const b = await startHardened({ auth, metrics })
  metrics.watchStore(b.store)
  const http = await startHttpServer({ broker: b.broker, metrics, port: 0, tokens: auth.tokens })
  t.teardown(async () => {
    await b.stop()
    await http.close()
  })
  const get = (path: string, token?: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${http.port}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const none = await get('/metrics')
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="hubq"')
  t.equal((await get('/metrics', 'wrong-token-00000')).status, 401)
  t.equal((await get('/metrics', 'narrow-token-1234')).status, 403)
  const ok = await get('/metrics', 'ops-token-123456')
  t.equal(ok.status, 200)
  t.match(await ok.text(), /hubq_/)
  t.equal((await get('/api/stats')).status, 401)
  t.equal((await get('/api/stats', 'ops-token-123456')).status, 200)
  t.equal((await get('/')).status, 200, 'the console page opens without a token and asks for one (its data needs one)')
  t.equal((await get('/api/overview')).status, 401)
  t.equal((await get('/healthz')).status, 200)
})
