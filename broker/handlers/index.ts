// The routing table: op name -> handler (PROTOCOL.md §4).
import type { Handler } from './types.js'
import { hello } from './hello.js'
import { ping } from './ping.js'
import { declare } from './declare.js'
import { publish } from './publish.js'
import { receive } from './receive.js'
import { subscribe } from './subscribe.js'
import { unsubscribe } from './unsubscribe.js'
import { ack } from './ack.js'
import { nack } from './nack.js'
import { touch } from './touch.js'
import { topic } from './topic.js'
import { bind, unbind } from './bind.js'
import { purge, drop } from './purge.js'
import { peek } from './peek.js'
import { redrive } from './redrive.js'
import { stats } from './stats.js'

export const handlers: Record<string, Handler> = Object.assign(Object.create(null) as Record<string, Handler>, {
  hello, ping, declare, publish, receive, subscribe, unsubscribe, ack, nack, touch,
  topic, bind, unbind, purge, drop, peek, redrive, stats,
})
