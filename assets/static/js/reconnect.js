// A websocket kept open: it reconnects with exponential backoff and jitter until closed. The
// page's stream (stream.js) and the class dashboard (dashboard.js) both use it.

/** wsURL returns the websocket address for path on this page's host (wss on https pages). */
export function wsURL (path = '/ws', loc = globalThis.location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`
}

/**
 * keepOpen keeps a websocket to url open once started. onMessage(msg, drop) gets every parsed
 * JSON message; drop() closes this connection for a fresh one. onState(state, attempt, delay)
 * hears 'connecting', 'reconnecting' (delay: the wait in ms before the next try, when waiting)
 * and 'closed'; 'open' is the caller's to say (with opened(), which also resets the backoff),
 * since only it knows which message means the stream is whole. onDrop() runs when a connection
 * is lost. It returns {attempt, start(), opened(), reconnect(), close()}.
 */
export function keepOpen ({
  url, WebSocketImpl = globalThis.WebSocket, minDelay = 500, maxDelay = 15000, random = Math.random,
  onMessage, onState, onDrop
}) {
  let ws = null; let timer = null; let stopped = false
  const k = { attempt: 0, start: open, opened, reconnect, close }

  function open () {
    clearTimeout(timer); timer = null
    if (stopped) return
    onState?.(k.attempt ? 'reconnecting' : 'connecting', k.attempt)
    let sock
    try { sock = new WebSocketImpl(url) } catch { return retry() }
    ws = sock
    sock.onmessage = ev => {
      if (ws !== sock) return
      let msg
      try { msg = JSON.parse(ev.data) } catch { return }
      onMessage?.(msg, () => sock.close())
    }
    sock.onclose = () => { if (ws === sock) { ws = null; retry() } }
    sock.onerror = () => { try { sock.close() } catch {} }
  }

  function retry () {
    if (stopped) return
    onDrop?.()
    const d = Math.min(maxDelay, minDelay * 2 ** k.attempt) * (0.75 + random() * 0.5)
    k.attempt++
    onState?.('reconnecting', k.attempt, Math.round(d))
    timer = setTimeout(open, d)
  }

  function opened () { k.attempt = 0 }

  function drop () { if (ws) { const s = ws; ws = null; s.close() } }

  function reconnect () { k.attempt = 0; drop(); open() }

  function close () {
    stopped = true; clearTimeout(timer)
    drop()
    onState?.('closed', k.attempt)
  }

  return k
}
