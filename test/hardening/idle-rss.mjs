// Run by hand after 'npx tsc -p .': node test/hardening/idle-rss.mjs [connections=10000]
// Holds N idle connections to a broker child process and prints its RSS per connection.
import net from 'node:net'; import { spawn } from 'node:child_process'; import { readFileSync } from 'node:fs'
const port = 17400 + Math.floor(Math.random()*1000)
const child = spawn('node', ['dist/broker/bin.js', 'broker', '--port', String(port), '--data', ':memory:', '--http-port', '0', '--max-connections', '20000', '--log-level', 'warn'], { stdio: 'ignore' })
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024
await new Promise(r => setTimeout(r, 1500))
const N = Number(process.argv[2] ?? 10000)
const before = rss(); const socks = []
for (let i = 0; i < N; i += 500) {
  await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => new Promise((res, rej) => { const s = net.connect(port, '127.0.0.1', () => res()); s.on('error', rej); socks.push(s) })))
}
// One ping on the last to be sure the broker has them all.
await new Promise(r => { const s = socks.at(-1); s.once('data', r); s.write('{"op":"ping"}\n') })
await new Promise(r => setTimeout(r, 1000))
const after = rss()
console.log(JSON.stringify({ connections: N, rssBeforeMiB: +(before/1048576).toFixed(1), rssAfterMiB: +(after/1048576).toFixed(1), bytesPerConnection: Math.round((after - before) / N) }))
for (const s of socks) s.destroy(); child.kill('SIGTERM')
