// The learner's page at a phone's, a small laptop's and a wide screen's width (390, 1024 and
// 1440 px), in Korean and English: nothing is wider than the viewport, no table cell wraps a
// word in the middle or is narrower than its longest word, every diagram's text is big enough to read, the diagram side can be
// widened or put below the lesson, and quiz questions show their Markdown (inline code) as HTML.
// Screenshots: /tmp/kubelab-layout-<width>-<what>.png.

import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer } from './server.mjs'
import { launch, newContext, openLab, showDiagram, figure } from './browser.mjs'

const LAB = 'inside-kubernetes'
const STEP = 'two-planes' // its text has a three-column table
const QUIZ = 'kubectl-activity'
const WIDTHS = [390, 1024, 1440]
const DIAGRAMS = ['architecture', 'cluster-map', 'control-loop', 'service-routing', 'rolling-update', 'why-pending', 'why-here', 'timeline']
/** MIN_TEXT is the smallest diagram text size (CSS px on the screen) that counts as legible. */
const MIN_TEXT = 11
const shot = (w, what) => `/tmp/kubelab-layout-${w}-${what}.png`

/**
 * tooWide lists the elements that stick out of the viewport sideways (not counting the inside
 * of a box that scrolls or clips sideways and itself fits), and the page's scroll width.
 */
const tooWide = page => page.evaluate(() => {
  const vw = document.documentElement.clientWidth
  const fits = r => r.left >= -1 && r.right <= vw + 1
  const clippedInside = el => {
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && fits(a.getBoundingClientRect())) return true
    }
    return false
  }
  const bad = []
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect()
    if (r.width === 0 || r.height === 0 || fits(r) || el.checkVisibility?.() === false || clippedInside(el)) continue
    bad.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} ${Math.round(r.left)}..${Math.round(r.right)}`)
  }
  return { vw, scrollWidth: document.documentElement.scrollWidth, bad }
})

/**
 * brokenWords checks every word of every table cell of the lesson: a word drawn on more than
 * one line was broken in the middle (breaking after a hyphen or slash is not). It also
 * returns the narrowest cell and the widest word.
 */
const brokenWords = page => page.evaluate(() => {
  const out = { cells: 0, words: 0, broken: [], narrow: [], narrowestCell: Infinity, widestWord: 0, tables: document.querySelectorAll('.md table').length }
  for (const cell of document.querySelectorAll('.md td, .md th')) {
    out.cells++
    out.narrowestCell = Math.min(out.narrowestCell, cell.getBoundingClientRect().width)
    const cs = getComputedStyle(cell)
    const room = cell.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)
    let longest = 0; let longestWord = ''
    const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
    for (let n; (n = walk.nextNode());) {
      for (const m of n.data.matchAll(/\(?[^\s\-/(]+[-/]?/g)) {
        out.words++
        const r = document.createRange()
        r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length)
        const rects = [...r.getClientRects()].filter(x => x.width > 0)
        const width = r.getBoundingClientRect().width
        out.widestWord = Math.max(out.widestWord, width)
        if (width > longest) { longest = width; longestWord = m[0] }
        if (new Set(rects.map(x => Math.round(x.top))).size > 1) out.broken.push(m[0])
      }
    }
    // A cell narrower than its longest word: the word sticks out of it even when it is not broken.
    if (longest > room + 1) out.narrow.push(`${longestWord} (${Math.round(longest)} px in a cell of ${Math.round(room)} px)`)
  }
  return out
})

/** diagramText is the smallest text of the diagram shown, in CSS px on the screen. */
const diagramText = page => page.evaluate(() => {
  const host = document.getElementById('diagram')
  const svg = host.querySelector('.kl-diagram svg')
  let min = Infinity; let n = 0
  if (svg) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
    for (const t of svg.querySelectorAll('text')) {
      if (!t.textContent.trim() || t.getBoundingClientRect().width === 0) continue
      n++
      min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * scale)
    }
  } else {
    const walk = document.createTreeWalker(host, NodeFilter.SHOW_TEXT)
    for (let t; (t = walk.nextNode());) {
      if (!t.data.trim() || !t.parentElement.getClientRects().length) continue
      n++
      min = Math.min(min, parseFloat(getComputedStyle(t.parentElement).fontSize))
    }
  }
  return { min: Math.round(min * 10) / 10, texts: n, svg: !!svg, zoom: host.dataset.zoom, box: Math.round(host.clientWidth) }
})

describe('the learner\'s page at 390, 1024 and 1440 px', { timeout: 20 * 60_000 }, () => {
  let server, browser
  before(async () => {
    server = await startServer()
    browser = await launch()
  }, { timeout: 180_000 })
  after(async () => {
    await browser?.close().catch(() => {})
    await server?.stop()
  }, { timeout: 60_000 })

  for (const width of WIDTHS) {
    const viewport = { width, height: width < 600 ? 844 : 900 }

    test(`${width} px: a lab with a table and each diagram`, { timeout: 300_000 }, async () => {
      const context = await newContext(browser, server, { viewport })
      try {
        const { page } = await openLab(context, LAB, { step: STEP })
        const lesson = await page.locator('.lab-text').evaluate(e => Math.round(e.getBoundingClientRect().width))
        figure(`${width} px: lesson column ${lesson} px wide`)
        const w = await tooWide(page)
        assert.deepEqual(w.bad, [], `elements wider than the ${w.vw} px viewport`)
        assert.ok(w.scrollWidth <= w.vw, `the page scrolls sideways: ${w.scrollWidth} > ${w.vw}`)
        const words = await brokenWords(page)
        figure(`${width} px en: ${words.tables} table(s), ${words.cells} cells, ${words.words} words, ${words.broken.length} broken; narrowest cell ${Math.round(words.narrowestCell)} px, widest word ${Math.round(words.widestWord)} px`)
        assert.ok(words.cells >= 9, `the step's table is on the page (${words.cells} cells)`)
        assert.deepEqual(words.broken, [], 'words broken inside table cells')
        assert.deepEqual(words.narrow, [], 'table cells narrower than their longest word')
        await page.screenshot({ path: shot(width, 'lab'), fullPage: true })

        for (const d of DIAGRAMS) {
          await showDiagram(page, d)
          await page.waitForTimeout(400) // pop-in animations
          const t = await diagramText(page)
          figure(`${width} px ${d}: smallest text ${t.min} px (${t.texts} texts, ${t.svg ? 'svg' : 'html'}, zoom ${t.zoom}, box ${t.box} px)`)
          assert.ok(t.texts > 0, `${d} has text`)
          assert.ok(t.min >= MIN_TEXT, `${d} at ${width} px: text of ${t.min} px is too small to read`)
          const wd = await tooWide(page)
          assert.deepEqual(wd.bad, [], `${d}: elements wider than the viewport`)
          await page.locator('#diagram').screenshot({ path: shot(width, d) })
        }

        if (width >= 960) {
          // The diagram side on demand: wider, or below the lesson.
          const measure = () => page.evaluate(() => ({
            lesson: Math.round(document.querySelector('.lab-text').getBoundingClientRect().width),
            diagram: Math.round(document.getElementById('diagram').getBoundingClientRect().width),
            below: document.querySelector('.lab-side').getBoundingClientRect().top >= document.querySelector('.lab-text').getBoundingClientRect().bottom - 1
          }))
          await showDiagram(page, 'architecture')
          const side = await measure()
          await page.locator('[data-layout-set="wide"]').click()
          const wide = await measure()
          await page.locator('[data-layout-set="below"]').click()
          const below = await measure()
          figure(`${width} px layouts: beside lesson ${side.lesson}/diagram ${side.diagram} px, wide ${wide.lesson}/${wide.diagram} px, below ${below.lesson}/${below.diagram} px`)
          assert.ok(wide.diagram > side.diagram, 'wide gives the diagram more room')
          assert.ok(below.below && !side.below, 'below puts the diagram side under the lesson')
          assert.ok(below.lesson >= side.lesson && below.diagram > side.diagram)
          assert.equal(await page.locator('#lab').getAttribute('data-layout'), 'below')
          await page.screenshot({ path: shot(width, 'below'), fullPage: true })
          await page.reload({ waitUntil: 'load' })
          await page.locator('#diagram .kl-diagram').waitFor()
          assert.equal(await page.locator('#lab').getAttribute('data-layout'), 'below', 'the choice is kept')
          assert.deepEqual((await tooWide(page)).bad, [])
          const after = await brokenWords(page)
          assert.deepEqual(after.broken, [])
          assert.deepEqual(after.narrow, [])
          await page.locator('[data-layout-set="side"]').click()
        }
      } finally {
        await context.close()
      }
    })

    test(`${width} px: Korean lesson tables keep their words whole`, { timeout: 120_000 }, async () => {
      const context = await newContext(browser, server, { locale: 'ko-KR', viewport })
      try {
        const { page } = await openLab(context, LAB, { step: STEP, english: false })
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko')
        const words = await brokenWords(page)
        figure(`${width} px ko: ${words.cells} cells, ${words.words} words, ${words.broken.length} broken`)
        assert.ok(words.cells >= 9)
        assert.deepEqual(words.broken, [], 'Korean words broken inside table cells')
        assert.deepEqual(words.narrow, [], 'Korean table cells narrower than their longest word')
        assert.deepEqual((await tooWide(page)).bad, [])
        await page.screenshot({ path: shot(width, 'lab-ko'), fullPage: true })
      } finally {
        await context.close()
      }
    })

    test(`${width} px: the quiz shows inline code as <code>`, { timeout: 120_000 }, async () => {
      const context = await newContext(browser, server, { viewport })
      try {
        const page = await context.newPage()
        await page.goto(`/quizzes/${QUIZ}`, { waitUntil: 'load' })
        const q = await page.evaluate(() => ({
          codes: document.querySelectorAll('.questions legend code, .questions .choice label code').length,
          backticks: [...document.querySelectorAll('.questions legend, .questions .choice label')].filter(e => e.textContent.includes('`')).map(e => e.textContent),
          sample: document.querySelector('.questions legend code, .questions .choice label code')?.outerHTML
        }))
        figure(`${width} px quiz ${QUIZ}: ${q.codes} <code> elements in questions and choices, e.g. ${q.sample}`)
        assert.ok(q.codes > 0, 'inline code is rendered as <code>')
        assert.deepEqual(q.backticks, [], 'no raw backticks left')
        assert.deepEqual((await tooWide(page)).bad, [])
        await page.screenshot({ path: shot(width, 'quiz'), fullPage: true })
      } finally {
        await context.close()
      }
    })
  }
})
