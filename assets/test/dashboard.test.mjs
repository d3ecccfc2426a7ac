// The class dashboard's glue in a DOM (linkedom): cells, counts, sandbox badges and the
// websocket messages of GET /class/{id}/ws, with a fake socket and fetch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseHTML } from 'linkedom'

globalThis.KUBELAB_NO_AUTOSTART = true
const { applyCell, applySnapshot, applySandbox, recount, missingLab, start, words } = await import('../static/js/dashboard.js')

const W = { 'cell.passed': 'Passed', 'cell.failed': 'Failing', 'cell.pending': 'Not started', 'sb.ready': 'Cluster ready', 'sb.none': 'No cluster yet', 'conn.open': 'Live', 'conn.connecting': 'Connecting…', 'conn.reconnecting': 'Reconnecting…', 'conn.closed': 'Disconnected', students: '{n} students' }

const cellTd = (u, step, state = 'pending') =>
  `<td class="heat-cell" data-cell="${u}|lab1|${step}" data-state="${state}" data-name="Lab › ${step}" title=""><span class="kl-sr"></span></td>`
const row = u => `<tr data-user="${u}"><th>s${u}</th><td><span data-sandbox-of="${u}" data-state=""></span></td><td data-activity-of="${u}"></td>` +
  `<td data-passed-of="${u}" data-total="2">0/2</td>${cellTd(u, 'a')}${cellTd(u, 'b')}</tr>`
const table = users => `<thead><tr><th data-lab-col="lab1">Lab</th></tr></thead><tbody id="heat-rows">${users.map(row).join('')}</tbody>`

function page (users = [3, 4], lang = 'en') {
  const { document, window } = parseHTML(`<!doctype html><html lang="${lang}"><body>
    <main id="dashboard" data-class="7" data-lab="" data-i18n='${JSON.stringify(W)}'>
      <span id="dash-conn"></span><span id="student-count">2 students</span>
      <table id="heatmap">${table(users)}</table>
      <div id="quiz-stats"></div><div id="completion"></div>
    </main></body></html>`)
  globalThis.document = document
  globalThis.CustomEvent = globalThis.CustomEvent || window.CustomEvent
  return document
}

test('a cell message changes the cell, its hover text and the row count', () => {
  const doc = page()
  const changed = applyCell(doc, { user: 3, lab: 'lab1', step: 'a', state: 'failed', messageKo: '없음', messageEn: 'missing' }, W, 'en')
  assert.equal(changed.length, 1)
  const el = doc.querySelector('[data-cell="3|lab1|a"]')
  assert.equal(el.dataset.state, 'failed')
  assert.equal(el.getAttribute('title'), 'Lab › a: Failing — missing')
  assert.equal(el.querySelector('.kl-sr').textContent, 'Lab › a: Failing — missing')
  applyCell(doc, { user: 3, lab: 'lab1', step: 'a', state: 'passed' }, W, 'en')
  assert.equal(el.getAttribute('title'), 'Lab › a: Passed')
  assert.equal(doc.querySelector('[data-passed-of="3"]').textContent, '1/2')
  assert.equal(applyCell(doc, { user: 3, lab: 'lab1', step: 'a', state: 'passed' }, W, 'en').length, 0, 'no change, no flash')
  assert.equal(applyCell(doc, { user: 9, lab: 'lab1', step: 'a', state: 'passed' }, W, 'en').length, 0, 'another student: nothing')
  assert.equal(doc.querySelector('[data-passed-of="4"]').textContent, '0/2')
})

test('a snapshot resets every cell and reports roster changes', () => {
  const doc = page()
  applyCell(doc, { user: 4, lab: 'lab1', step: 'b', state: 'passed' }, W, 'en')
  const changed = applySnapshot(doc, { students: [3, 4], cells: [{ user: 3, lab: 'lab1', step: 'b', state: 'failed', message: 'no pods' }], sandboxes: { 3: { user: 3, state: 'ready' } } }, W, 'en')
  assert.equal(changed, false)
  assert.equal(doc.querySelector('[data-cell="4|lab1|b"]').dataset.state, 'pending', 'cells not in the snapshot are not started')
  assert.match(doc.querySelector('[data-cell="3|lab1|b"]').getAttribute('title'), /Failing — no pods/)
  assert.equal(doc.querySelector('[data-sandbox-of="3"]').textContent, 'Cluster ready')
  assert.equal(doc.querySelector('[data-passed-of="4"]').textContent, '0/2')
  assert.equal(applySnapshot(doc, { students: [3, 4, 5], cells: [] }, W, 'en'), true, 'a new student')
  assert.equal(applySnapshot(doc, { students: [3], cells: [] }, W, 'en'), true, 'a removed student')
  assert.equal(missingLab(doc, { lab: 'lab2' }), true)
  assert.equal(missingLab(doc, { lab: 'lab1' }), false)
})

test('sandbox badges and counts', () => {
  const doc = page()
  applySandbox(doc, { user: 4, state: '', message: '' }, W)
  assert.equal(doc.querySelector('[data-sandbox-of="4"]').textContent, 'No cluster yet')
  doc.querySelector('[data-cell="4|lab1|a"]').dataset.state = 'passed'
  doc.querySelector('[data-cell="4|lab1|b"]').dataset.state = 'passed'
  recount(doc, 4)
  assert.equal(doc.querySelector('[data-passed-of="4"]').textContent, '2/2')
  assert.equal(words(doc.getElementById('dashboard'))['cell.failed'], 'Failing')
})

test('snapshot cells carry both languages; the page shows its own', () => {
  const cell = { user: 3, lab: 'lab1', step: 'a', state: 'failed', messageKo: '파드가 없습니다', messageEn: 'no pods' }
  for (const [lang, want] of [['en', 'no pods'], ['ko', '파드가 없습니다']]) {
    const doc = page([3], lang)
    applySnapshot(doc, { students: [3], cells: [cell] }, W, lang)
    assert.match(doc.querySelector('[data-cell="3|lab1|a"]').getAttribute('title'), new RegExp(want))
  }
})

class FakeSocket {
  static all = []
  constructor (url) { this.url = url; FakeSocket.all.push(this) }
  recv (m) { this.onmessage?.({ data: JSON.stringify(m) }) }
  close () { this.closed = true; this.onclose?.() }
}

test('start: snapshot, live cells, a new student refetches the table, a new lab too', async () => {
  const doc = page([3])
  globalThis.location = { protocol: 'http:', host: 'x:1' }
  FakeSocket.all = []
  const fetched = []
  const fetchImpl = async url => {
    fetched.push(url)
    if (url.startsWith('/class/7/heatmap')) return { ok: true, text: async () => table([3, 4]) }
    return { ok: true, text: async () => '<svg data-passed="1"></svg>' }
  }
  const d = start(doc, { WebSocketImpl: FakeSocket, fetchImpl, minDelay: 10 })
  const ws = FakeSocket.all[0]
  assert.equal(ws.url, 'ws://x:1/class/7/ws')
  ws.recv({ type: 'snapshot', students: [3], cells: [], sandboxes: {} })
  assert.equal(doc.getElementById('dash-conn').dataset.state, 'open')
  ws.recv({ type: 'cell', user: 3, lab: 'lab1', step: 'a', state: 'passed', at: Date.now() })
  assert.equal(doc.querySelector('[data-cell="3|lab1|a"]').dataset.state, 'passed')
  assert.equal(d.log.length, 1)
  ws.recv({ type: 'roster', user: 4 })
  await new Promise(r => setTimeout(r, 400))
  assert.ok(fetched.some(u => u === '/class/7/heatmap'), fetched.join())
  assert.equal(doc.querySelectorAll('#heat-rows tr[data-user]').length, 2)
  assert.equal(doc.getElementById('student-count').textContent, '2 students')
  assert.ok(ws.closed, 'reconnects for a fresh snapshot')
  const ws2 = FakeSocket.all.at(-1)
  assert.notEqual(ws2, ws)
  fetched.length = 0
  ws2.recv({ type: 'cell', user: 3, lab: 'lab2', step: 'x', state: 'failed' })
  await new Promise(r => setTimeout(r, 400))
  assert.ok(fetched.includes('/class/7/heatmap'), 'a lab without columns refetches the table')
  await new Promise(r => setTimeout(r, 1600))
  assert.ok(fetched.includes('/class/7/completion.svg'), 'a pass refreshes the plot')
  d.close()
  assert.equal(doc.getElementById('dash-conn').dataset.state, 'closed')
})
