// Tiny i18n: t(key, params, lang) with Korean ('ko', the default) and English ('en').
// The page language is <html lang="...">; params fill {name} placeholders. The strings are
// web/i18n.yaml's, in i18n-table.js (generated: go generate ./web).

import S from './i18n-table.js'

/** lang returns the page language of doc (this page by default): 'en' or 'ko' (default). */
export function lang (doc = globalThis.document) {
  const l = doc?.documentElement?.lang || ''
  return l.toLowerCase().startsWith('en') ? 'en' : 'ko'
}

/**
 * pick returns a server message's text in the page language (or l): the stream sends each text
 * in both languages, as <field>Ko and <field>En (docs/stream.md); a message with only <field>
 * gives that.
 */
export function pick (m, field, l) {
  return m?.[field + ((l || lang()) === 'en' ? 'En' : 'Ko')] || m?.[field] || ''
}

/** t returns the text for key in lang (page language by default), {placeholders} filled from params. */
export function t (key, params, l) {
  const e = S[key]
  let s = e ? e[(l || lang()) === 'en' ? 1 : 0] : key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => params[k] ?? '')
  return s
}

/** has reports whether key is known. */
export const has = key => key in S
