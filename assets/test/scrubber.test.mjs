import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHTML } from 'linkedom'
import { mountScrubber, storeAt, clock, diffLines, markSpots, markLabel, createKeptLog, CHECKPOINT } from '../static/js/scrubber.js'
import { all } from '../testdata/fixtures.mjs'

const page = () => {
  const { document } = parseHTML('<!doctype html><html lang="en"><body><div id="s"></div></body></html>')
  globalThis.document = document
  return document
}
const tick = ms => new Promise(r => setTimeout(r, ms))
const T0 = 1_800_000_000_000

/** history answers like the server: range, and the objects at a moment (a pod that exists from T0+5 s). */
const history = log => async url => {
  log.push(url)
  if (url.endsWith('/range')) return { ok: true, status: 200, json: async () => ({ first: T0, last: T0 + 10_000, changes: 12, now: T0 + 10_000 }) }
  const at = +new URL(url, 'http://x').searchParams.get('at')
  const objects = all().filter(o => o.kind === 'Node' || (at >= T0 + 5000 && o.kind === 'Pod' && o.name === 'big-pod'))
  return { ok: true, status: 200, json: async () => ({ at, objects }) }
}

test('dragging back shows a store of that moment; Live returns to the live store', async () => {
  const doc = page()
  const log = []; const moments = []
  const s = mountScrubber(doc.getElementById('s'), { doc, fetchImpl: history(log), onMoment: (st, at) => moments.push({ st, at }) })
  await tick(10)
  const input = doc.querySelector('input[type="range"]')
  assert.equal(input.getAttribute('min'), String(T0))
  assert.equal(input.getAttribute('max'), String(T0 + 10_000))
  assert.match(doc.querySelector('.kl-scrub-at').textContent, /Showing the cluster now/)
  input.value = String(T0 + 2000); input.oninput({ target: input })
  await tick(10)
  assert.equal(log.at(-1), `/api/history?at=${T0 + 2000}`)
  assert.equal(moments.at(-1).at, T0 + 2000)
  assert.equal(moments.at(-1).st.get('Pod').length, 0, 'no pod yet at that moment')
  assert.equal(moments.at(-1).st.get('Node').length, 3)
  assert.match(doc.querySelector('.kl-scrub-at').textContent, new RegExp(`The cluster at ${clock(T0 + 2000)}`))
  await s.show(T0 + 6000)
  assert.deepEqual(moments.at(-1).st.get('Pod').map(p => p.name), ['big-pod'])
  doc.querySelector('[data-scrub="live"]').onclick()
  assert.equal(moments.at(-1).st, null, 'live: back to the live store')
  s.destroy()
})

test('play walks forward at the chosen speed and stops at the end', async () => {
  const doc = page()
  const log = []; const ats = []
  const s = mountScrubber(doc.getElementById('s'), { doc, fetchImpl: history(log), onMoment: (st, at) => st && ats.push(at) })
  await tick(10)
  doc.querySelector('select').onchange({ target: { value: '4' } })
  s.state.at = T0 + 8000; s.state.live = false
  s.play()
  await tick(700)
  assert.ok(ats.length >= 2, `${ats.length} frames`)
  for (let i = 1; i < ats.length; i++) assert.ok(ats[i] > ats[i - 1], 'moments move forward')
  assert.ok(ats.at(-1) <= T0 + 10_000)
  await tick(1200)
  assert.equal(s.state.playing, false, 'stopped at the end')
  assert.equal(ats.at(-1), T0 + 10_000)
  s.destroy()
})

test('storeAt holds one moment\'s objects', () => {
  const s = storeAt(all())
  assert.equal(s.get('Node').length, 3)
})

test('compare: objects added, removed and changed with their fields, Events left out', () => {
  const d = diffLines({
    added: [{ kind: 'ReplicaSet', namespace: 'default', name: 'web-2' }, { kind: 'Event', namespace: 'default', name: 'e1' }],
    removed: [{ kind: 'Pod', namespace: 'default', name: 'web-1-abc' }],
    changed: [{ kind: 'Deployment', namespace: 'default', name: 'web', changes: [{ path: 'images', before: ['nginx:1.25.1'], after: ['nginx:1.25.2'] }, { path: 'revision', before: '1', after: '2' }] }]
  })
  assert.deepEqual(d.counts, { added: 1, removed: 1, changed: 1 })
  assert.deepEqual(d.lines.map(l => `${l.sign} ${l.text}`), ['+ ReplicaSet default/web-2', '− Pod default/web-1-abc', '~ Deployment default/web'])
  assert.deepEqual(d.lines[2].fields, ['images: ["nginx:1.25.1"] → ["nginx:1.25.2"]', 'revision: 1 → 2'])
})

const MARKS = [
  { at: T0 + 2000, kind: 'command', text: 'kubectl set image deployment/web nginx=nginx:1.25.2' },
  { at: T0 + 4000, kind: 'apply', text: 'Deployment web' },
  { at: T0 + 6000, kind: 'verdict', lab: 'rolling-update', step: 'update', text: 'Update the image', passed: true },
  { at: T0 + 99_000, kind: 'command', text: 'outside the range' }
]

/** historyWithMarks is history() that also answers /marks and /diff. */
const historyWithMarks = log => {
  const base = history(log)
  return async url => {
    if (url.includes('/marks')) { log.push(url); return { ok: true, status: 200, json: async () => ({ marks: MARKS }) } }
    if (url.includes('/diff?')) { log.push(url); return { ok: true, status: 200, json: async () => ({ added: [], removed: [], changed: [{ kind: 'Deployment', namespace: 'default', name: 'web', changes: [{ path: 'images', before: ['a'], after: ['b'] }] }] }) } }
    return base(url)
  }
}

test('marks: drawn on the slider with a tooltip, a click jumps there; two marks compared', async () => {
  const doc = page()
  const log = []; const moments = []
  const s = mountScrubber(doc.getElementById('s'), { doc, fetchImpl: historyWithMarks(log), onMoment: (st, at) => moments.push({ st, at }) })
  await tick(10)
  const marks = [...doc.querySelectorAll('.kl-scrub-mark')]
  assert.equal(marks.length, 3, 'the mark outside the kept range is left out')
  assert.equal(marks[0].getAttribute('style'), 'left: 20%')
  assert.match(marks[0].getAttribute('title'), /Command: kubectl set image deployment\/web/)
  assert.match(marks[1].getAttribute('title'), /Applied: Deployment web/)
  assert.match(marks[2].getAttribute('title'), /Step passed: Update the image/)
  assert.ok(marks[2].getAttribute('class').includes('m-pass'))
  marks[1].onclick()
  await tick(10)
  assert.equal(moments.at(-1).at, T0 + 4000, 'a click on a mark shows its moment')
  // compare two marks: before the set image, and the apply after it
  const from = doc.querySelector('select[data-scrub="from"]'); const to = doc.querySelector('select[data-scrub="to"]')
  from.onchange({ target: { value: String(T0 + 2000) } })
  to.onchange({ target: { value: String(T0 + 4000) } })
  doc.querySelector('[data-scrub="compare-marks"]').onclick()
  await tick(10)
  assert.equal(log.at(-1), `/api/history/diff?from=${T0 + 2000}&to=${T0 + 4000}`)
  assert.match(doc.querySelector('.kl-scrub-diff p').textContent, new RegExp(`From ${clock(T0 + 2000)} to ${clock(T0 + 4000)}: 0 added, 0 removed, 1 changed`))
  s.destroy()
})

test('markSpots and markLabel', () => {
  assert.deepEqual(markSpots(MARKS, T0, T0 + 10_000).map(x => x.pct), [20, 40, 60])
  assert.deepEqual(markSpots(MARKS, null, null), [])
  assert.equal(markLabel({ kind: 'verdict', passed: false, step: 'scale' }), 'Step turned to failing: scale')
  assert.equal(markLabel({ kind: 'rewind', text: 'Scale out' }), 'Step started again: Scale out')
})

/** rebuild is the server's replay (history.Log.At): the base, then the changes in order up to the first one after t. */
function rebuild (base, entries, t) {
  const st = new Map(base.map(o => [`${o.kind}/${o.namespace || ''}/${o.name}`, o]))
  for (const e of entries) {
    if (e.t > t) break
    if (e.op === 'snapshot') { st.clear(); for (const o of e.objects) st.set(`${o.kind}/${o.namespace || ''}/${o.name}`, o) }
    if (e.op === 'upsert') st.set(`${e.obj.kind}/${e.obj.namespace || ''}/${e.obj.name}`, e.obj)
    if (e.op === 'delete') st.delete(`${e.obj.kind}/${e.obj.namespace || ''}/${e.obj.name}`)
  }
  return [...st.values()].map(o => JSON.stringify(o)).sort()
}

/** logServer answers GET .../log like the server (history.Log.Since) over a log that grows. */
function logServer (log, h) {
  return async url => {
    log.push(url)
    const u = new URL(url, 'http://x')
    if (u.pathname.endsWith('/range')) return { ok: true, status: 200, json: async () => ({ first: T0, last: h.now, changes: h.entries.length, now: h.now }) }
    if (u.pathname.endsWith('/log')) {
      const from = +u.searchParams.get('from'); const full = u.searchParams.get('epoch') !== 'e1' || from > h.entries.length
      const start = full ? 0 : from
      return { ok: true, status: 200, json: async () => ({ epoch: 'e1', full, base: full ? h.base : undefined, baseAt: 0, from: start, entries: h.entries.slice(start), now: h.now }) }
    }
    const at = +u.searchParams.get('at')
    return { ok: true, status: 200, json: async () => ({ at, objects: rebuild(h.base, h.entries, at).map(s => JSON.parse(s)) }) }
  }
}

function randomHistory (seed, n) {
  let x = seed
  const rnd = k => { x = (x * 1103515245 + 12345) % 2147483648; return x % k }
  const pod = () => ({ kind: 'Pod', namespace: 'ns' + rnd(2), name: 'p' + rnd(9), rv: String(rnd(1e6)) })
  const h = { base: [{ kind: 'Node', name: 'n1', rv: '1' }], entries: [], now: T0 }
  for (let i = 0; i < n; i++) {
    h.now += rnd(4) // several changes may share a millisecond
    const t = h.now - (rnd(10) === 0 ? 2 : 0) // and a change's time may step back a little
    const k = rnd(30)
    h.entries.push(k === 0
      ? { t, op: 'snapshot', objects: [pod(), pod()] }
      : k === 1 ? { t, op: 'mark', mark: { kind: 'command', text: 'kubectl get pods' } } : { t, op: k < 10 ? 'delete' : 'upsert', obj: pod() })
  }
  h.now += 5000
  return h
}

test('the kept log rebuilds every moment as the server does, over checkpoints and what came since', async () => {
  for (const seed of [1, 2, 3]) {
    const h = randomHistory(seed, 1500)
    const log = []
    const k = createKeptLog(async url => (await logServer(log, h)(url)).json(), '/api/history')
    assert.equal(k.at(T0 + 10), null, 'nothing kept yet')
    await k.load()
    assert.ok(k.size === 1500 && k.size > 5 * CHECKPOINT)
    for (let t = T0 - 1; t <= h.now - 5000; t += 3) {
      assert.deepEqual(k.at(t).map(o => JSON.stringify(o)).sort(), rebuild(h.base, h.entries, t), `seed ${seed}, at ${t - T0}`)
    }
    assert.equal(k.at(h.now - 10), null, 'too close to the end: asked for again')
    // more changes recorded: only those are fetched
    const more = randomHistory(seed + 10, 300).entries.map(e => ({ ...e, t: e.t + (h.now - T0) }))
    h.entries.push(...more); h.now = more.at(-1).t + 5000
    await k.load()
    assert.match(log.at(-1), /epoch=e1&from=1500$/)
    assert.equal(k.size, 1800)
    for (let t = T0; t <= h.now - 5000; t += 7) {
      assert.deepEqual(k.at(t).map(o => JSON.stringify(o)).sort(), rebuild(h.base, h.entries, t), `seed ${seed}, after more, at ${t - T0}`)
    }
  }
})

test('once the log is kept, dragging asks the server nothing and shows the moment', async () => {
  const doc = page()
  const h = randomHistory(7, 600)
  const log = []; const moments = []
  const s = mountScrubber(doc.getElementById('s'), { doc, fetchImpl: logServer(log, h), onMoment: (st, at) => moments.push({ st, at }) })
  await tick(10)
  doc.querySelector('.kl-scrubber').dispatchEvent(new doc.defaultView.Event('pointerover', { bubbles: true }))
  await tick(10)
  assert.ok(log.some(u => u.includes('/log?')), 'the log is fetched when the pointer reaches the scrubber')
  const asked = log.length
  for (const t of [T0 + 100, T0 + 900, T0 + 300, T0 + 1200]) {
    await s.show(t)
    assert.equal(moments.at(-1).at, t)
    assert.deepEqual(moments.at(-1).st.get('Pod').map(o => JSON.stringify(o)).sort(), rebuild(h.base, h.entries, t).filter(x => x.includes('"Pod"')))
  }
  assert.equal(log.length, asked, 'no request per moment')
  assert.equal(moments.at(-1).st.past, true, 'a store of the history\'s moments')
  s.destroy()
})
