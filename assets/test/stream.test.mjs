import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, dispatch, wsURL } from '../static/js/stream.js'
import { createStore } from '../static/js/store.js'
import { snapshot } from '../testdata/fixtures.mjs'

class FakeWS {
  static all = []
  constructor (url) { this.url = url; this.closed = false; FakeWS.all.push(this) }
  send () {}
  close () { if (this.closed) return; this.closed = true; setTimeout(() => this.onclose?.(), 0) }
  recv (msg) { this.onmessage?.({ data: JSON.stringify(msg) }) }
}
const tick = ms => new Promise(resolve => setTimeout(resolve, ms))
// waitFor polls cond (timers are slow on a busy machine)
async function waitFor (cond, ms = 3000) {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) return false
    await tick(2)
  }
  return true
}

test('wsURL follows the page protocol', () => {
  assert.equal(wsURL('/ws', { protocol: 'https:', host: 'lab.example:8443' }), 'wss://lab.example:8443/ws')
  assert.equal(wsURL('/ws', { protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/ws')
})

test('dispatch: objects to the store, verdict/sandbox/hint to events, gaps refused', () => {
  const store = createStore(); const target = new EventTarget(); const got = []
  for (const n of ['verdict', 'sandbox', 'hint']) target.addEventListener('kubelab:' + n, e => got.push([n, e.detail]))
  assert.ok(dispatch(snapshot(), store, target, null))
  assert.ok(store.size() > 10)
  assert.ok(dispatch({ type: 'verdict', lab: 'kubectl-activity', step: 'create-namespace', passed: true, score: 1, checks: [{ id: 'ns-exists', passed: true }] }, store, target))
  assert.ok(dispatch({ type: 'sandbox', state: 'ready', backend: 'embedded' }, store, target))
  assert.ok(dispatch({ type: 'hint', text: 'look at the labels' }, store, target))
  assert.deepEqual(got.map(g => g[0]), ['verdict', 'sandbox', 'hint'])
  assert.equal(got[0][1].step, 'create-namespace')
  assert.equal(dispatch({ type: 'upsert', seq: 50, obj: { kind: 'Pod', name: 'x' } }, store, target, 41), false)
  assert.equal(dispatch({ type: 'upsert', seq: 42, obj: { kind: 'Pod', name: 'x' } }, store, target, 41), true)
})

test('connect: snapshot opens, a drop reconnects with backoff and a fresh snapshot', async (t) => {
  FakeWS.all = []
  const store = createStore(); const target = new EventTarget(); const states = []
  target.addEventListener('kubelab:connection', e => states.push(e.detail.state))
  const c = connect({ store, target, url: 'ws://x/ws', WebSocketImpl: FakeWS, minDelay: 5, maxDelay: 20, random: () => 0.5 })
  t.after(() => c.close())
  assert.equal(c.state, 'connecting')
  const ws1 = FakeWS.all[0]
  assert.equal(ws1.url, 'ws://x/ws')
  ws1.recv(snapshot(41))
  assert.equal(c.state, 'open')
  ws1.recv({ type: 'upsert', seq: 42, obj: { kind: 'Pod', namespace: 'default', name: 'late', rv: '9' } })
  assert.ok(store.find('Pod', 'default', 'late'))
  ws1.recv({ type: 'upsert', seq: 44, obj: { kind: 'Pod', namespace: 'default', name: 'after-gap' } })
  assert.equal(store.find('Pod', 'default', 'after-gap'), undefined, 'a gap is not applied')
  assert.ok(await waitFor(() => c.state === 'reconnecting'))
  assert.ok(await waitFor(() => FakeWS.all.length === 2), 'reconnected')
  const s2 = snapshot(1); s2.objects = s2.objects.filter(o => o.kind !== 'Event')
  FakeWS.all[1].recv(s2)
  assert.equal(c.state, 'open')
  assert.equal(c.attempt, 0)
  assert.equal(store.get('Event').length, 0, 'fresh snapshot replaced the state')
  assert.equal(store.find('Pod', 'default', 'late'), undefined)
  c.close()
  assert.equal(c.state, 'closed')
  await tick(30)
  assert.equal(FakeWS.all.length, 2, 'no reconnect after close')
  assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), ['connecting', 'open', 'reconnecting', 'open', 'closed'])
})

test('connect: backoff grows and is capped', async (t) => {
  FakeWS.all = []
  class Dead extends FakeWS { constructor (u) { super(u); setTimeout(() => this.close(), 0) } }
  const store = createStore(); const target = new EventTarget()
  const delays = []
  const c = connect({ store, target, url: 'ws://x/ws', WebSocketImpl: Dead, minDelay: 2, maxDelay: 8, random: () => 0.5 })
  t.after(() => c.close())
  target.addEventListener('kubelab:connection', e => e.detail.delay && delays.push(e.detail.delay))
  assert.ok(await waitFor(() => FakeWS.all.length >= 5), `tried ${FakeWS.all.length} times`)
  assert.ok(c.attempt >= 4)
  assert.deepEqual(delays.slice(0, 4), [2, 4, 8, 8], 'doubling, capped at maxDelay')
})
