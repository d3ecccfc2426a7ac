// The page's one websocket (docs/stream.md): object messages go to the store; verdict, sandbox,
// hint and rewind messages become CustomEvents on document (kubelab:verdict, kubelab:sandbox,
// kubelab:hint, kubelab:rewind). Connection changes are kubelab:connection events ({state, attempt, delay}): delay
// is the wait in ms before the next try.

import { keepOpen, wsURL } from './reconnect.js'

export { wsURL }

const EVENTS = { verdict: 'kubelab:verdict', sandbox: 'kubelab:sandbox', hint: 'kubelab:hint', rewind: 'kubelab:rewind' }

/** dispatch hands one parsed message to the store or the event target. It returns false on a seq gap. */
export function dispatch (msg, store, target, lastSeq) {
  if (!msg || typeof msg !== 'object') return true
  if (msg.type === 'snapshot') { store.apply(msg); return true }
  if (msg.type === 'upsert' || msg.type === 'delete') {
    if (lastSeq != null && msg.seq != null && msg.seq !== lastSeq + 1) return false
    store.apply(msg)
    return true
  }
  const name = EVENTS[msg.type]
  if (name && target) target.dispatchEvent(new CustomEvent(name, { detail: msg }))
  return true
}

/**
 * connect opens the stream and keeps it open, reconnecting with exponential backoff
 * (a reconnect gets a fresh snapshot). It returns {state, attempt, close(), reconnect()}.
 * state is 'connecting', 'open', 'reconnecting' or 'closed'.
 */
export function connect ({
  store, url, target = globalThis.document, WebSocketImpl = globalThis.WebSocket,
  minDelay = 500, maxDelay = 15000, random = Math.random
} = {}) {
  let lastSeq = null
  const setState = (s, attempt, delay) => {
    c.state = s
    target?.dispatchEvent(new CustomEvent('kubelab:connection', { detail: { state: s, attempt, delay } }))
  }
  const k = keepOpen({
    url: url || wsURL(),
    WebSocketImpl,
    minDelay,
    maxDelay,
    random,
    onState: setState,
    onDrop () { lastSeq = null },
    onMessage (msg, drop) {
      if (msg.type === 'snapshot') {
        k.opened()
        if (c.state !== 'open') setState('open', 0)
      }
      if (!dispatch(msg, store, target, lastSeq)) { drop(); return } // gap: get a new snapshot
      if (msg.seq != null) lastSeq = msg.seq
    }
  })
  const c = {
    state: 'connecting',
    get attempt () { return k.attempt },
    close: () => k.close(),
    reconnect: () => k.reconnect()
  }
  k.start()
  return c
}
