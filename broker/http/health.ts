// GET /healthz: healthy while the broker accepts connections and its store takes writes.
// A load balancer or an orchestrator's probe reads the status; a person reads the reasons.

export interface HealthSource {
  readonly accepting: boolean
  readonly store: { healthy(): boolean }
}

export interface Health {
  status: 'ok' | 'unavailable'
  accepting: boolean
  storeHealthy: boolean
  /** Why it is unavailable, in words; empty when ok. */
  reasons: string[]
}

export function checkHealth(broker: HealthSource): Health {
  const reasons: string[] = []
  const accepting = broker.accepting
  if (!accepting) reasons.push('broker is not accepting connections (starting or shutting down)')
  let storeHealthy = false
  try {
    storeHealthy = broker.store.healthy()
    if (!storeHealthy) reasons.push('store cannot take writes (disk full or backend down)')
  } catch (err) {
    reasons.push(`store health check failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  return { status: reasons.length === 0 ? 'ok' : 'unavailable', accepting, storeHealthy, reasons }
}
