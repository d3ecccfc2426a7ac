// Browser side of the end-to-end tests: Debian's Chromium driven by playwright-core (no
// browser download), and small helpers that work the lab page as a learner would: type in
// the kubectl console, paste into the YAML editor, read the step badges and the diagrams.

import { chromium } from 'playwright-core'

/** UI is how long one expectation on the page may take (the machine is shared and slow). */
export const UI = Number(process.env.E2E_UI_TIMEOUT || 30_000)

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** launch starts headless Chromium. */
export function launch () {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 })
}

/**
 * newContext makes a browser context for the server: English UI (Accept-Language), a desktop
 * viewport (unless one is given), and only loopback traffic (anything else is aborted and
 * reported).
 */
export async function newContext (browser, server, { locale = 'en-US', viewport = { width: 1400, height: 1000 } } = {}) {
  const context = await browser.newContext({ locale, viewport, baseURL: server.url })
  const origin = new URL(server.url).origin
  const offsite = []
  await context.route(u => !String(u).startsWith(origin), route => { offsite.push(route.request().url()); return route.abort() })
  context.offsite = offsite
  context.setDefaultTimeout(UI)
  return context
}

/**
 * watchPage records what goes wrong on a page (uncaught errors, console errors, failed
 * requests) and, while measuring, the JS and CSS it loads with their transferred sizes.
 */
export function watchPage (page) {
  const w = { errors: [], consoleErrors: [], failed: [], assets: [], pending: new Set(), measuring: true }
  page.on('pageerror', e => w.errors.push(String(e?.stack || e)))
  page.on('console', m => { if (m.type() === 'error') w.consoleErrors.push(m.text()) })
  page.on('requestfailed', r => w.failed.push(`${r.url()} ${r.failure()?.errorText || ''}`))
  page.on('response', res => {
    const req = res.request()
    const type = req.resourceType()
    if (!w.measuring || (type !== 'script' && type !== 'stylesheet')) return
    const p = (async () => {
      await res.finished().catch(() => {})
      const s = await req.sizes().catch(() => null)
      const body = await res.body().then(b => b.length).catch(() => 0)
      w.assets.push({ url: res.url(), type, status: res.status(), transferred: s ? s.responseHeadersSize + s.responseBodySize : body, body })
    })()
    w.pending.add(p); p.finally(() => w.pending.delete(p))
  })
  /** assetTotals stops measuring and sums what was loaded so far. */
  w.assetTotals = async () => {
    w.measuring = false
    await Promise.all([...w.pending])
    const sum = (f, k) => w.assets.filter(f).reduce((n, a) => n + a[k], 0)
    const js = a => a.type === 'script'; const css = a => a.type === 'stylesheet'
    return {
      files: w.assets.length,
      jsFiles: w.assets.filter(js).length,
      cssFiles: w.assets.filter(css).length,
      transferred: sum(() => true, 'transferred'),
      body: sum(() => true, 'body'),
      js: sum(js, 'transferred'),
      css: sum(css, 'transferred')
    }
  }
  return w
}

/**
 * openLab opens a lab page and waits until its stream is open and its console and editor are
 * mounted; watch.firstLoad then holds the JS+CSS of that first load. With english (the default)
 * it then switches the UI to English with the header's language switch, as a learner would
 * (the tests read English texts).
 */
export async function openLab (context, lab, { step, english = true } = {}) {
  const page = await context.newPage()
  const watch = watchPage(page)
  await page.goto(`/labs/${lab}${step ? `?step=${step}` : ''}`, { waitUntil: 'load' })
  await labReady(page)
  watch.firstLoad = await watch.assetTotals()
  if (english) await switchLanguage(page, 'en')
  return { page, watch }
}

/**
 * switchLanguage uses the header's language switch (a form POST that should come back to the
 * page; if it lands elsewhere, the page is opened again).
 */
export async function switchLanguage (page, to) {
  if (await page.evaluate(() => document.documentElement.lang) === to) return
  const was = page.url()
  await Promise.all([
    page.waitForEvent('load'),
    page.locator(`.lang-switch button[value="${to}"]`).click()
  ])
  await page.waitForFunction(l => document.documentElement.lang === l, to)
  if (page.url() !== was) {
    console.log(`note: the language switch went to ${page.url()} instead of back to ${was}`)
    await page.goto(was, { waitUntil: 'load' })
  }
  await labReady(page)
}

/** labReady waits for the lab page's script: stream open, console and editor mounted, a diagram drawn. */
export async function labReady (page) {
  await page.locator('#conn-state[data-state="open"]').waitFor()
  await page.locator('#console input[name="cmd"]').waitFor()
  await page.locator('#editor textarea').waitFor()
  await page.locator('#diagram .kl-diagram').waitFor()
}

/**
 * runCommand types command into the console, clicks Run and waits for its answer. It returns
 * {output, error, exit, text}: the result lines printed after this command's "$ ..." line.
 * onClick is called right before the click (to start a clock).
 */
export async function runCommand (page, command, { onClick, timeout = 60_000 } = {}) {
  const before = await page.locator('#console .kl-out .kl-cmd').count()
  const input = page.locator('#console input[name="cmd"]')
  await input.click()
  await input.pressSequentially(command, { delay: 2 })
  if (await input.inputValue() !== command) await input.fill(command) // a slow machine may drop keys
  await onClick?.()
  await page.locator('#console button[type="submit"]').click()
  await page.waitForFunction(n => {
    const el = document.getElementById('console')
    return el.querySelectorAll('.kl-out .kl-cmd').length > n && !el.hasAttribute('aria-busy')
  }, before, { timeout })
  return page.evaluate(n => {
    const cmd = document.querySelectorAll('#console .kl-out .kl-cmd')[n]
    const r = { command: cmd.textContent, output: '', error: '', exit: '', text: '' }
    for (let s = cmd.nextElementSibling; s && !s.classList.contains('kl-cmd'); s = s.nextElementSibling) {
      if (s.classList.contains('kl-res')) r.output += s.textContent + '\n'
      if (s.classList.contains('kl-err')) r.error += s.textContent + '\n'
      if (s.classList.contains('kl-exit')) r.exit += s.textContent
      r.text += s.textContent + '\n'
    }
    return r
  }, before)
}

/** stepState returns the data-state of every [data-step-status=step] badge on the page. */
export const stepStates = (page, step) =>
  page.locator(`[data-step-status="${step}"]`).evaluateAll(els => els.map(e => e.dataset.state))

/** waitPassed waits until every badge of step says passed. */
export async function waitPassed (page, step, timeout = UI) {
  await page.waitForFunction(s => {
    const els = document.querySelectorAll(`[data-step-status="${s}"]`)
    return els.length > 0 && [...els].every(e => e.dataset.state === 'passed')
  }, step, { timeout })
}

/**
 * pasteYaml puts yaml into the editor as a paste would (clipboard + Ctrl+V, falling back to
 * inserting the text when the headless clipboard is not available).
 */
export async function pasteYaml (page, yaml) {
  const ta = page.locator('#editor textarea')
  await ta.fill('')
  await ta.focus()
  let pasted = false
  try {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.evaluate(t => navigator.clipboard.writeText(t), yaml)
    await page.keyboard.press('Control+V')
    pasted = (await ta.inputValue()) === yaml
  } catch {}
  if (!pasted) { await ta.fill(''); await page.keyboard.insertText(yaml) }
  const got = await ta.inputValue()
  if (got !== yaml) throw new Error(`editor holds ${JSON.stringify(got)}, not the pasted manifest`)
}

/**
 * applyEditor clicks Apply (or Dry run) and waits for the editor's answer. It returns
 * {ok: [texts], errors: [texts], text}.
 */
export async function applyEditor (page, { dryRun = false, timeout = 60_000 } = {}) {
  await page.evaluate(() => { window.__edPrev = document.querySelector('#editor .kl-ed-msg').firstChild })
  await page.locator(dryRun ? '#editor [data-dry]' : '#editor [data-apply]').click()
  await page.waitForFunction(() => {
    const el = document.getElementById('editor'); const m = el.querySelector('.kl-ed-msg')
    return m.firstChild && m.firstChild !== window.__edPrev && !el.hasAttribute('aria-busy')
  }, null, { timeout })
  return page.evaluate(() => {
    const m = document.querySelector('#editor .kl-ed-msg')
    const li = [...m.querySelectorAll('li')]
    return {
      ok: li.filter(e => e.classList.contains('kl-ok')).map(e => e.textContent),
      errors: li.filter(e => e.classList.contains('kl-err')).map(e => e.textContent),
      badLines: [...document.querySelectorAll('#editor .kl-gutter .is-bad')].map(e => +e.textContent),
      text: m.textContent
    }
  })
}

/** showDiagram clicks a diagram tab and waits for that diagram to be mounted. */
export async function showDiagram (page, name) {
  await page.locator(`[data-diagram-tab="${name}"]`).click()
  await page.locator(`#diagram[data-diagram="${name}"] .kl-diagram.kl-${name}`).waitFor()
  await page.locator(`[data-diagram-tab="${name}"][aria-selected="true"]`).waitFor()
}

/** diagramLabel returns the accessible summary (<title>) of the SVG diagram shown. */
export const diagramLabel = page => page.evaluate(() => document.querySelector('#diagram svg > title')?.textContent || '')

/** figure prints a measurement on a line of its own that starts with FIGURE. */
export function figure (text) {
  console.log(`FIGURE ${text}`)
}

/** sleep waits ms milliseconds. */
export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
