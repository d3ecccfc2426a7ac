import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHTML } from 'linkedom'
import { mountRewind } from '../static/js/rewind.js'

const page = () => {
  const { document } = parseHTML('<!doctype html><html lang="en"><body><section class="lab-checks"></section></body></html>')
  globalThis.document = document
  return document
}
const tick = ms => new Promise(r => setTimeout(r, ms))

const server = (log, steps) => async (url, init = {}) => {
  log.push(`${init.method || 'GET'} ${url}`)
  if (url.endsWith('/rewind') && !init.method) return { ok: true, status: 200, json: async () => ({ lab: 'l', steps }) }
  return { ok: true, status: 200, json: async () => ({ lab: 'l', step: 's2', deleted: 2, created: 1, updated: 1, replaced: 1, ms: 420 }) }
}

test('no snapshot of the step: nothing shown', async () => {
  const doc = page(); const log = []
  mountRewind(doc.querySelector('.lab-checks'), { lab: 'l', step: 's2', doc, fetchImpl: server(log, [{ step: 's1', at: 1 }]) })
  await tick(10)
  assert.equal(doc.querySelector('[data-rewind-ask]'), null)
})

test('start this step again: asks first, then restores and says what it did', async () => {
  const doc = page(); const log = []; const done = []
  mountRewind(doc.querySelector('.lab-checks'), { lab: 'l', step: 's2', doc, fetchImpl: server(log, [{ step: 's2', at: 1_800_000_000_000 }]), onDone: r => done.push(r) })
  await tick(10)
  const ask = doc.querySelector('[data-rewind-ask]')
  assert.match(ask.textContent, /Start this step again/)
  ask.onclick()
  assert.equal(log.length, 1, 'nothing restored before the confirmation')
  doc.querySelector('[data-rewind-no]').onclick()
  assert.equal(doc.querySelector('[data-rewind-yes]'), null, 'cancel closes the question')
  doc.querySelector('[data-rewind-ask]').onclick()
  assert.match(doc.querySelector('[role="alertdialog"]').textContent, /deleted or put back/)
  await doc.querySelector('[data-rewind-yes]').onclick()
  assert.equal(log.at(-1), 'POST /api/labs/l/steps/s2/rewind')
  assert.equal(done.length, 1)
  assert.match(doc.querySelector('[role="status"]').textContent, /Rewound in 420 ms: 2 deleted, 1 created, 2 put back/)
})

test('the control appears once the stream says the step\'s start was kept, without a reload', async () => {
  const doc = page(); const log = []; const steps = []
  const w = mountRewind(doc.querySelector('.lab-checks'), { lab: 'l', step: 's2', doc, fetchImpl: server(log, steps) })
  await tick(10)
  assert.equal(doc.querySelector('[data-rewind-ask]'), null, 'not kept yet')
  steps.push({ step: 's2', at: 1_800_000_000_000 })
  const Ev = doc.defaultView.CustomEvent
  doc.dispatchEvent(new Ev('kubelab:rewind', { detail: { lab: 'other', step: 's2', at: 1 } }))
  doc.dispatchEvent(new Ev('kubelab:rewind', { detail: { lab: 'l', step: 's1', at: 1 } }))
  await tick(10)
  assert.equal(log.length, 1, 'another lab\'s or step\'s start asks nothing')
  doc.dispatchEvent(new Ev('kubelab:rewind', { detail: { lab: 'l', step: 's2', at: 1_800_000_000_000 } }))
  await tick(10)
  assert.match(doc.querySelector('[data-rewind-ask]').textContent, /Start this step again/)
  w.destroy()
  doc.dispatchEvent(new Ev('kubelab:connection', { detail: { state: 'open' } }))
  await tick(10)
  assert.equal(log.length, 2, 'a removed control listens no more')
})

test('a stream opened again asks again (a message may have been missed)', async () => {
  const doc = page(); const log = []; const steps = []
  mountRewind(doc.querySelector('.lab-checks'), { lab: 'l', step: 's2', doc, fetchImpl: server(log, steps) })
  await tick(10)
  steps.push({ step: 's2', at: 1_800_000_000_000 })
  doc.dispatchEvent(new doc.defaultView.CustomEvent('kubelab:connection', { detail: { state: 'reconnecting' } }))
  await tick(10)
  assert.equal(doc.querySelector('[data-rewind-ask]'), null)
  doc.dispatchEvent(new doc.defaultView.CustomEvent('kubelab:connection', { detail: { state: 'open' } }))
  await tick(10)
  assert.ok(doc.querySelector('[data-rewind-ask]'))
})
