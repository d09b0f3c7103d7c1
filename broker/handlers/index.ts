// The routing table: op name -> its handler and the right it needs (PROTOCOL.md §4, §7.3). Each
// op's rule is declared beside its handler; the session refuses, with auth on, an op without one.
import type { Route } from './types.js'
import { hello, helloRule } from './hello.js'
import { ping, pingRule } from './ping.js'
import { declare, declareRule } from './declare.js'
import { publish, publishRule } from './publish.js'
import { receive, receiveRule } from './receive.js'
import { subscribe, subscribeRule } from './subscribe.js'
import { unsubscribe, unsubscribeRule } from './unsubscribe.js'
import { ack, ackRule } from './ack.js'
import { nack, nackRule } from './nack.js'
import { touch, touchRule } from './touch.js'
import { topic, topicRule } from './topic.js'
import { bind, bindRule, unbind, unbindRule } from './bind.js'
import { purge, purgeRule, drop, dropRule } from './purge.js'
import { peek, peekRule } from './peek.js'
import { redrive, redriveRule } from './redrive.js'
import { stats, statsRule } from './stats.js'

export const routes: Record<string, Route> = Object.assign(Object.create(null) as Record<string, Route>, {
  hello: { handler: hello, rule: helloRule },
  ping: { handler: ping, rule: pingRule },
  declare: { handler: declare, rule: declareRule },
  publish: { handler: publish, rule: publishRule },
  receive: { handler: receive, rule: receiveRule },
  subscribe: { handler: subscribe, rule: subscribeRule },
  unsubscribe: { handler: unsubscribe, rule: unsubscribeRule },
  ack: { handler: ack, rule: ackRule },
  nack: { handler: nack, rule: nackRule },
  touch: { handler: touch, rule: touchRule },
  topic: { handler: topic, rule: topicRule },
  bind: { handler: bind, rule: bindRule },
  unbind: { handler: unbind, rule: unbindRule },
  purge: { handler: purge, rule: purgeRule },
  drop: { handler: drop, rule: dropRule },
  peek: { handler: peek, rule: peekRule },
  redrive: { handler: redrive, rule: redriveRule },
  stats: { handler: stats, rule: statsRule },
} satisfies Record<string, Route>)
