// Marks on the scrubber and "start this step again" on a lab page, against the learner's real
// sandbox: the step's start is kept when the step before passes, the learner's commands appear
// as marks, two marks are compared, and the rewind (after its confirmation) takes the cluster
// back: an object made since is gone, one deleted since is back.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, runCommand, waitPassed, showDiagram, figure, UI } from './browser.mjs'

const LAB = 'kubectl-activity'
const shot = name => `/tmp/kubelab-rewind-${name}.png`

describe('marks and rewinding a step', { timeout: 15 * 60_000 }, () => {
  let server, browser, context, page
  let failed = false

  before(async () => {
    server = await startServer()
    browser = await launch()
    context = await newContext(browser, server)
    // the page shows the second step before it starts: its control must appear without a reload
    ;({ page } = await openLab(context, LAB, { step: 'list-namespaces' }))
  }, { timeout: 180_000 })

  after(async () => {
    if (page && failed) await page.screenshot({ path: shot('failure'), fullPage: true }).catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
    if (failed && server) console.log('--- kubelab log (tail) ---\n' + server.log().slice(-4000))
  }, { timeout: 60_000 })

  const t = (name, fn) => test(name, { timeout: 300_000 }, async () => {
    try { await fn() } catch (e) { failed = true; throw e }
  })

  t('the next step\'s start is kept when a step passes, and its control appears at once; it asks first', async () => {
    assert.equal(await page.locator('[data-rewind-ask]').count(), 0, 'the shown step has not started yet')
    assert.match((await runCommand(page, 'kubectl create configmap keep --from-literal=a=1')).output, /created/)
    assert.match((await runCommand(page, 'kubectl create namespace my-ns')).output, /created/)
    await waitPassed(page, 'create-namespace', 60_000)
    // no reload and no asking by the test: the stream tells the page the step's start was kept
    const t0 = Date.now()
    await page.locator('[data-rewind-ask]').waitFor({ timeout: UI })
    figure(`rewind control shown ${Date.now() - t0} ms after the step before passed on the page`)
    assert.match((await runCommand(page, 'kubectl create deployment extra --image=nginx')).output, /created/)
    assert.match((await runCommand(page, 'kubectl delete configmap keep')).output, /deleted/)
  })

  t('marks: the commands are on the slider; two marks compared', async () => {
    await showDiagram(page, 'cluster-map')
    await page.locator('[data-scrub="live"]').click()
    await page.waitForFunction(() => [...document.querySelectorAll('#scrubber .kl-scrub-mark')].some(m => /kubectl delete configmap keep/.test(m.title)), null, { timeout: UI })
    const titles = await page.locator('#scrubber .kl-scrub-mark').evaluateAll(els => els.map(e => e.title))
    assert.ok(titles.some(x => /Command: kubectl create deployment extra/.test(x)), titles.join('\n'))
    assert.ok(titles.some(x => /Step passed: Command 1: create the namespace my-ns/.test(x)), titles.join('\n'))
    // from just before "create deployment extra" to just before "delete configmap keep"
    const at = await page.evaluate(() => {
      const ms = [...document.querySelectorAll('#scrubber .kl-scrub-mark')]
      const f = ms.find(m => /create deployment extra/.test(m.title)).dataset.mark
      const to = ms.find(m => /delete configmap keep/.test(m.title)).dataset.mark
      return { f, to }
    })
    await page.locator('#scrubber .kl-scrub-mark[data-mark="' + at.f + '"]').dispatchEvent('click')
    await page.waitForFunction(() => document.querySelector('#diagram')?.dataset.moment, null, { timeout: UI })
    await page.selectOption('#scrubber select[data-scrub="from"]', at.f)
    await page.selectOption('#scrubber select[data-scrub="to"]', at.to)
    await page.locator('[data-scrub="compare-marks"]').click()
    await page.waitForFunction(() => /\+ Deployment default\/extra/.test(document.querySelector('#scrubber .kl-scrub-diff')?.textContent || ''), null, { timeout: UI })
    const diff = await page.locator('#scrubber .kl-scrub-diff').textContent()
    assert.ok(!/ConfigMap default\/keep/.test(diff), 'the ConfigMap was deleted after the second mark: ' + diff)
    await page.locator('#scrubber').screenshot({ path: shot('marks') })
    await page.locator('[data-scrub="live"]').click()
  })

  t('start this step again: confirmation, then the cluster as the step started', async () => {
    await page.locator('[data-rewind-ask]').click()
    await page.locator('[data-rewind-yes]').waitFor()
    await page.locator('.kl-rewind').screenshot({ path: shot('confirm') })
    const t0 = Date.now()
    await page.locator('[data-rewind-yes]').click()
    await page.waitForFunction(() => /Rewound in/.test(document.querySelector('.kl-rewind [role="status"]')?.textContent || ''), null, { timeout: 60_000 })
    figure(`rewind of a step from the page: ${Date.now() - t0} ms (${await page.locator('.kl-rewind [role="status"]').textContent()})`)
    const out = (await runCommand(page, 'kubectl get deployments,configmaps')).output
    assert.ok(!/extra/.test(out), out)
    assert.match(out, /keep/)
    await page.locator('.kl-rewind').screenshot({ path: shot('done') })
  })
})
