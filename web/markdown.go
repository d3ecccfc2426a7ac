package web

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdowns holds one converter per page language (the code block buttons are labelled in it).
var markdowns = map[string]goldmark.Markdown{"ko": newMarkdown("ko"), "en": newMarkdown("en")}

// inlineMarkdowns are the converters of RenderInlineMarkdown: lab Markdown that shows raw HTML
// as text.
var inlineMarkdowns = map[string]goldmark.Markdown{"ko": newMarkdown("ko", literalHTML{}), "en": newMarkdown("en", literalHTML{})}

// newMarkdown returns a converter for lab text: CommonMark with GitHub tables, strikethrough,
// task lists and bare links. Raw HTML is dropped and dangerous link targets (javascript: …) are
// left empty, because goldmark is used without html.WithUnsafe.
// More node renderers (extra) take over from the default ones.
func newMarkdown(lang string, extra ...renderer.NodeRenderer) goldmark.Markdown {
	nrs := []util.PrioritizedValue{util.Prioritized(&codeRenderer{lang: lang}, 100)}
	for _, r := range extra {
		nrs = append(nrs, util.Prioritized(r, 50))
	}
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(pageTransformer{}, 100))),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(nrs...)),
	)
}

// literalHTML renders raw HTML in Markdown as the text it is (escaped), instead of dropping it.
type literalHTML struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (literalHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := 0; i < segs.Len(); i++ {
				seg := segs.At(i)
				_, _ = w.WriteString(html.EscapeString(string(seg.Value(source))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<p>")
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				_, _ = w.WriteString(html.EscapeString(string(seg.Value(source))))
			}
			if b := n.(*ast.HTMLBlock); b.HasClosure() {
				_, _ = w.WriteString(html.EscapeString(string(b.ClosureLine.Value(source))))
			}
			_, _ = w.WriteString("</p>\n")
		}
		return ast.WalkSkipChildren, nil
	})
}

// RenderMarkdown renders lab Markdown (a step text, a hint, an explanation) to safe HTML.
// Its code block buttons are labelled in Korean when the text contains Hangul, else in English;
// RenderMarkdownLang names the language.
func RenderMarkdown(src string) template.HTML {
	lang := "en"
	if strings.IndexFunc(src, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) >= 0 {
		lang = "ko"
	}
	return RenderMarkdownLang(lang, src)
}

// RenderMarkdownLang renders lab Markdown to safe HTML with code block buttons labelled in lang.
//
// Fenced code blocks become <figure class="code-block" data-code="<language>"> with the code in
// <pre><code> and buttons: ```kubectl blocks (and sh/bash/shell/console blocks) get one
// Run button per kubectl command line (data-run="<the command>"; lines with a <placeholder>
// get a note instead) and a Copy button (data-copy); ```yaml blocks get Copy and
// "Open in editor" (data-edit="<the manifest>"); other blocks get Copy. Headings are moved
// down so the highest one is an h3 (the page has the h1 and h2); links get
// rel="noopener noreferrer", and absolute http(s) links open in a new tab.
func RenderMarkdownLang(lang, src string) template.HTML {
	var buf bytes.Buffer
	if err := markdowns[Lang(lang)].Convert([]byte(src), &buf); err != nil {
		return template.HTML("<pre>" + html.EscapeString(src) + "</pre>")
	}
	return template.HTML(buf.String())
}

// RenderInlineMarkdown renders a short Markdown text that sits inside a line of the page (a
// quiz question, a choice): inline code, emphasis and links as RenderMarkdownLang renders them,
// without the paragraph around a text of one paragraph.
// Raw HTML in it is shown as text.
func RenderInlineMarkdown(lang, src string) template.HTML {
	var buf bytes.Buffer
	if err := inlineMarkdowns[Lang(lang)].Convert([]byte(src), &buf); err != nil {
		return template.HTML(html.EscapeString(src))
	}
	out := strings.TrimSpace(buf.String())
	if inner, ok := strings.CutPrefix(out, "<p>"); ok {
		if inner, ok = strings.CutSuffix(inner, "</p>"); ok && !strings.Contains(inner, "<p>") {
			return template.HTML(inner)
		}
	}
	return template.HTML(out)
}

// pageTransformer fits a Markdown document into a page: heading levels and link attributes.
type pageTransformer struct{}

// Transform implements parser.ASTTransformer.
func (pageTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	top := 7
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level < top {
			top = h.Level
		}
		return ast.WalkContinue, nil
	})
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := n.(type) {
		case *ast.Heading:
			x.Level = min(6, x.Level+3-top)
		case *ast.Link:
			linkAttrs(x, string(x.Destination))
		case *ast.AutoLink:
			if x.AutoLinkType == ast.AutoLinkURL {
				linkAttrs(x, string(x.URL(source)))
			}
		}
		return ast.WalkContinue, nil
	})
}

func linkAttrs(n ast.Node, dest string) {
	n.SetAttributeString("rel", []byte("noopener noreferrer"))
	d := strings.ToLower(dest)
	if strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "www.") {
		n.SetAttributeString("target", []byte("_blank"))
	}
}

// codeRenderer renders code blocks with their Run / Copy / Open in editor buttons.
type codeRenderer struct{ lang string }

// RegisterFuncs implements renderer.NodeRenderer.
func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.render)
	reg.Register(ast.KindCodeBlock, r.render)
}

var (
	// placeholderRE finds a "<pod-name>" style placeholder the learner must fill in.
	placeholderRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_.-]*>`)
	// langRE keeps the class name of a code language tame.
	langRE = regexp.MustCompile(`[^a-z0-9+#_-]`)
)

// shellLangs are the code languages whose kubectl lines get Run buttons.
var shellLangs = map[string]bool{"kubectl": true, "sh": true, "bash": true, "shell": true, "console": true}

func (r *codeRenderer) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	var lang string
	if f, ok := node.(*ast.FencedCodeBlock); ok {
		lang = langRE.ReplaceAllString(strings.ToLower(string(f.Language(source))), "")
	}
	var b strings.Builder
	lines := node.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(source))
	}
	code := strings.TrimSuffix(b.String(), "\n")

	w.WriteString(`<figure class="code-block"`)
	if lang != "" {
		w.WriteString(` data-code="` + lang + `"`)
	}
	w.WriteString(`><pre><code`)
	if lang != "" {
		w.WriteString(` class="language-` + lang + `"`)
	}
	w.WriteString(`>` + html.EscapeString(code) + "</code></pre>\n")
	w.WriteString(`<div class="code-actions" role="group" aria-label="` + attr(T(r.lang, "code.actions")) + `">`)
	var placeholder bool
	if shellLangs[lang] {
		var cmds []string
		cmds, placeholder = kubectlCommands(code)
		for _, c := range cmds {
			w.WriteString(`<button type="button" class="kl-btn" data-run="` + attr(c) + `" aria-label="` +
				attr(Tf(r.lang, "btn.run_cmd", "cmd", c)) + `">` + html.EscapeString(T(r.lang, "btn.run")))
			if len(cmds) > 1 {
				w.WriteString(` <code>` + html.EscapeString(c) + `</code>`)
			}
			w.WriteString("</button>")
		}
	}
	if lang == "yaml" || lang == "yml" {
		w.WriteString(`<button type="button" class="kl-btn" data-edit="` + attr(code) + `" aria-label="` +
			attr(T(r.lang, "btn.edit_label")) + `">` + html.EscapeString(T(r.lang, "btn.edit")) + "</button>")
	}
	w.WriteString(`<button type="button" class="kl-btn" data-copy="` + attr(code) + `" aria-label="` +
		attr(T(r.lang, "btn.copy_label")) + `">` + html.EscapeString(T(r.lang, "btn.copy")) + "</button>")
	w.WriteString("</div>")
	if placeholder {
		w.WriteString(`<p class="code-note">` + html.EscapeString(T(r.lang, "code.placeholder")) + "</p>")
	}
	w.WriteString("</figure>\n")
	return ast.WalkSkipChildren, nil
}

// attr escapes s for a double-quoted attribute value, keeping line breaks as character references.
func attr(s string) string {
	return strings.NewReplacer("\r", "&#13;", "\n", "&#10;", "\t", "&#9;").Replace(html.EscapeString(s))
}

// kubectlCommands returns the kubectl command lines of a shell block, one command each
// (backslash-continued lines joined, a leading "$ " prompt and comment lines dropped), and
// whether a kubectl line was left out because it holds a <placeholder> to fill in.
func kubectlCommands(code string) (cmds []string, placeholder bool) {
	code = strings.ReplaceAll(code, "\r\n", "\n")
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		line = strings.TrimSpace(strings.TrimPrefix(line, "$ "))
		if line != "kubectl" && !strings.HasPrefix(line, "kubectl ") {
			return
		}
		if placeholderRE.MatchString(line) {
			placeholder = true
			return
		}
		cmds = append(cmds, line)
	}
	for _, l := range strings.Split(code, "\n") {
		if cur.Len() > 0 {
			l = strings.TrimLeft(l, " \t")
		}
		if t := strings.TrimRight(l, " \t"); strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimRight(strings.TrimSuffix(t, `\`), " \t") + " ")
			continue
		}
		cur.WriteString(l)
		flush()
	}
	flush()
	return cmds, placeholder
}
