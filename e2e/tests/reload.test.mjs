// Verdicts belong to the learner, not to one page: a second tab on the same lab sees them arrive
// live, a reloaded page (or a new browser session) shows the passed steps at once from the stored
// progress, and so does the page after kubelab itself restarts on the same data.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, labReady, runCommand, stepStates, waitPassed, sleep } from './browser.mjs'

const LAB = 'kubectl-activity'
const STEPS = ['create-namespace', 'list-namespaces', 'apply-deployment', 'get-pods-default', 'get-pods-my-ns']
const shot = name => `/tmp/kubelab-e2e-${name}.png`

/** allStates maps each step to the set of its badges' states on the page. */
async function allStates (page) {
  const out = {}
  for (const s of STEPS) out[s] = [...new Set(await stepStates(page, s))].sort().join(',')
  return out
}

/** servedStates reads the badges from the HTML the server renders (no script involved). */
async function servedStates (request, path = `/labs/${LAB}`) {
  const html = await (await request.get(path)).text()
  const out = {}
  for (const m of html.matchAll(/data-step-status="([^"]+)" data-state="([^"]+)"/g)) (out[m[1]] ||= new Set()).add(m[2])
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort().join(',')]))
}

describe('verdicts across tabs, reloads and restarts', { timeout: 15 * 60_000 }, () => {
  let server, browser, context, tab1, tab2, dataDir
  let failed = false

  before(async () => {
    server = await startServer()
    dataDir = server.dataDir
    browser = await launch()
    context = await newContext(browser, server)
    ;({ page: tab1 } = await openLab(context, LAB))
    ;({ page: tab2 } = await openLab(context, LAB))
  }, { timeout: 180_000 })

  after(async () => {
    if (failed) await tab1?.screenshot({ path: shot('reload-failure'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop({ keepData: false })
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
    if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {})
  }, { timeout: 60_000 })

  const t = (name, fn) => test(name, { timeout: 180_000 }, async () => {
    try { await fn() } catch (e) { failed = true; throw e }
  })

  t('a second tab sees the verdicts of commands run in the first, and the other way round', async () => {
    assert.ok(!(await stepStates(tab2, 'create-namespace')).includes('passed'))
    const r = await runCommand(tab1, 'kubectl create namespace my-ns')
    assert.match(r.output, /namespace\/my-ns created/)
    await waitPassed(tab1, 'create-namespace')
    await waitPassed(tab2, 'create-namespace') // tab2 did nothing and was not reloaded
    const r2 = await runCommand(tab2, 'kubectl get namespaces')
    assert.match(r2.output, /^my-ns\s+Active/m)
    await waitPassed(tab2, 'list-namespaces')
    await waitPassed(tab1, 'list-namespaces')
    await sleep(1000) // any further verdict arrives in both
    assert.deepEqual(await allStates(tab2), await allStates(tab1), 'both tabs show the same verdicts')
    // the console of tab2 does not show tab1's commands (each tab has its own console)
    assert.doesNotMatch(await tab2.locator('#console .kl-out').textContent(), /create namespace/)
  })

  t('after a reload the passed steps are still passed, straight from the server', async () => {
    const before = await allStates(tab1)
    assert.equal(before['create-namespace'], 'passed')
    assert.equal(before['list-namespaces'], 'passed')
    await tab1.reload({ waitUntil: 'domcontentloaded' })
    // as served, before any script or websocket message could change them
    const served = await servedStates(tab1.request)
    assert.equal(served['create-namespace'], 'passed', JSON.stringify(served))
    assert.equal(served['list-namespaces'], 'passed', JSON.stringify(served))
    await labReady(tab1)
    await sleep(1500) // let the stream settle: nothing may flip them back
    assert.deepEqual(await allStates(tab1), before)
    assert.equal(await tab1.locator('[data-check="ns-active"]').getAttribute('data-state'), 'passed')
    await tab1.screenshot({ path: shot('after-reload'), fullPage: true })
  })

  t('a new browser session and the step pages show the same', async () => {
    const other = await newContext(browser, server)
    try {
      const { page } = await openLab(other, LAB, { step: 'list-namespaces' })
      await sleep(1000)
      assert.deepEqual(await allStates(page), await allStates(tab1))
      assert.equal(await page.locator('.lab-step [data-step-status="list-namespaces"]').getAttribute('data-state'), 'passed')
      assert.equal(await page.locator('[data-check="listed"]').getAttribute('data-state'), 'passed')
    } finally { await other.close() }
  })

  t('after kubelab restarts on the same data, the progress is still there', async () => {
    const before = await allStates(tab1)
    await server.stop({ keepData: true })
    server = await startServer({ dataDir })
    const ctx = await newContext(browser, server)
    try {
      const { page } = await openLab(ctx, LAB)
      assert.equal(await page.locator('.lab-step [data-step-status="create-namespace"]').getAttribute('data-state'), 'passed')
      await sleep(2000) // the grader looks again at the resumed sandbox
      const passed = st => Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v === 'passed']))
      assert.deepEqual(passed(await allStates(page)), passed(before))
      const r = await runCommand(page, 'kubectl get namespace my-ns')
      assert.match(r.output, /my-ns\s+Active/, 'the sandbox kept the namespace too')
      await page.screenshot({ path: shot('after-restart'), fullPage: true })
    } finally { await ctx.close() }
  })

  // Opening a lab triggers a grading that may finish before the page's websocket connects:
  // the server sends a connecting page the verdicts it already has.
  test('a lab opened for the first time shows the grader\'s verdicts on its checks', {
    timeout: 120_000
  }, async () => {
    const ctx = await newContext(browser, server)
    try {
      const { page } = await openLab(ctx, 'namespaces', { step: 'create-namespaces' })
      await page.waitForFunction(() => {
        const cs = [...document.querySelectorAll('[data-check]')]
        return cs.length > 0 && cs.every(c => c.dataset.state === 'passed' || c.dataset.state === 'failed')
      }, null, { timeout: 10_000 })
    } finally { await ctx.close() }
  })
})
