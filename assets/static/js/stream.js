// The page's one websocket (docs/stream.md): object messages go to the store; verdict, sandbox
// and hint messages become CustomEvents on document (kubelab:verdict, kubelab:sandbox,
// kubelab:hint). Connection changes are kubelab:connection events ({state, attempt, delay}): delay
// is the wait in ms before the next try.

const EVENTS = { verdict: 'kubelab:verdict', sandbox: 'kubelab:sandbox', hint: 'kubelab:hint' }

/** wsURL returns the websocket address for path on this page's host (wss on https pages). */
export function wsURL (path = '/ws', loc = globalThis.location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`
}

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
  url = url || wsURL()
  let ws = null; let timer = null; let stopped = false
  let lastSeq = null
  const c = { state: 'connecting', attempt: 0, close, reconnect }

  function setState (s, delay) {
    c.state = s
    target?.dispatchEvent(new CustomEvent('kubelab:connection', { detail: { state: s, attempt: c.attempt, delay } }))
  }

  function open () {
    clearTimeout(timer); timer = null
    if (stopped) return
    setState(c.attempt ? 'reconnecting' : 'connecting')
    let sock
    try { sock = new WebSocketImpl(url) } catch (e) { return retry() }
    ws = sock
    sock.onmessage = ev => {
      if (ws !== sock) return
      let msg
      try { msg = JSON.parse(ev.data) } catch { return }
      if (msg.type === 'snapshot') {
        c.attempt = 0
        if (c.state !== 'open') setState('open')
      }
      if (!dispatch(msg, store, target, lastSeq)) { sock.close(); return } // gap: get a new snapshot
      if (msg.seq != null) lastSeq = msg.seq
    }
    sock.onclose = () => { if (ws === sock) { ws = null; retry() } }
    sock.onerror = () => { try { sock.close() } catch {} }
  }

  function retry () {
    if (stopped) return
    lastSeq = null
    const d = Math.min(maxDelay, minDelay * 2 ** c.attempt) * (0.75 + random() * 0.5)
    c.attempt++
    setState('reconnecting', Math.round(d))
    timer = setTimeout(open, d)
  }

  function reconnect () { c.attempt = 0; if (ws) { const s = ws; ws = null; s.close() } open() }

  function close () {
    stopped = true; clearTimeout(timer)
    if (ws) { const s = ws; ws = null; s.close() }
    setState('closed')
  }

  open()
  return c
}
