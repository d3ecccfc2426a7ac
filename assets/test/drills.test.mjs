import { test } from 'node:test'
import assert from 'node:assert/strict'
import { model } from '../static/js/drills.js'

const drill = [
  { name: 'b1', zone: 'us-east-1b', kubeletStopped: false, cordoned: false, ready: true, simulated: true },
  { name: 'a2', zone: 'us-east-1a', kubeletStopped: true, cordoned: false, ready: true, simulated: true },
  { name: 'a1', zone: 'us-east-1a', kubeletStopped: true, cordoned: false, ready: false, simulated: true }
]

test('nodes grouped by zone in order; a zone whose kubelets all stopped is failed', () => {
  const m = model(drill)
  assert.deepEqual(m.map(z => z.zone), ['us-east-1a', 'us-east-1b'])
  assert.equal(m[0].failed, true)
  assert.equal(m[1].failed, false)
  assert.deepEqual(m[0].nodes.map(n => n.name), ['a2', 'a1'])
})

test('a stopped kubelet reads as stopping until the node controller marks the node NotReady', () => {
  const [a] = model(drill)
  assert.equal(a.nodes[0].status, 'kubeletStopping')
  assert.equal(a.nodes[1].status, 'kubeletStopped')
  // the stream's Node is fresher than the drill list
  const [a2] = model(drill, [{ kind: 'Node', name: 'a2', ready: false, unschedulable: true }])
  assert.equal(a2.nodes[0].status, 'kubeletStopped')
  assert.equal(a2.nodes[0].cordoned, true)
})

test('real (not simulated) nodes offer no kubelet stop and no zone failure', () => {
  const m = model([{ name: 'n', zone: 'z', kubeletStopped: false, cordoned: false, ready: true, simulated: false }])
  assert.equal(m[0].simulated, false)
  assert.equal(m[0].nodes[0].simulated, false)
  assert.equal(m[0].nodes[0].status, 'ready')
})
