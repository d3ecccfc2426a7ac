package web

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

// render renders c and returns the HTML.
func render(t *testing.T, c templ.Component) string {
	t.Helper()
	return renderCtx(t, context.Background(), c)
}

func renderCtx(t *testing.T, ctx context.Context, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.String()
}

// doc parses a page.
func doc(t *testing.T, s string) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return n
}

// all returns the elements under n (n included) for which match is true, in document order.
func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// tag matches elements by name.
func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

// has matches elements with the attribute key (and the value, if given).
func has(key string, value ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := attrOf(n, key)
		return ok && (len(value) == 0 || v == value[0])
	}
}

// and matches elements matched by every m.
func and(ms ...func(*html.Node) bool) func(*html.Node) bool {
	return func(n *html.Node) bool {
		for _, m := range ms {
			if !m(n) {
				return false
			}
		}
		return true
	}
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attrVal(n *html.Node, key string) string { v, _ := attrOf(n, key); return v }

// one returns the only element matched under n, failing otherwise.
func one(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	got := all(n, match)
	if len(got) != 1 {
		t.Fatalf("%s: found %d elements, want 1", what, len(got))
	}
	return got[0]
}

func byID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	return one(t, n, "#"+id, has("id", id))
}

// blocks are the elements whose text textOf separates from what follows.
var blocks = map[string]bool{"p": true, "div": true, "li": true, "dt": true, "dd": true, "h1": true, "h2": true, "h3": true, "legend": true, "label": true, "button": true, "summary": true, "section": true}

// textOf returns the text under n with runs of white space as one space.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blocks[n.Data] {
			b.WriteString(" ")
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// inside reports whether n is a descendant of p.
func inside(n, p *html.Node) bool {
	for x := n.Parent; x != nil; x = x.Parent {
		if x == p {
			return true
		}
	}
	return false
}

func wantText(t *testing.T, n *html.Node, what, want string) {
	t.Helper()
	if got := textOf(n); !strings.Contains(got, want) {
		t.Errorf("%s: text %q does not contain %q", what, got, want)
	}
}

func wantAttr(t *testing.T, n *html.Node, key, want string) {
	t.Helper()
	if got, ok := attrOf(n, key); !ok || got != want {
		t.Errorf("<%s> %s = %q (present %v), want %q", n.Data, key, got, ok, want)
	}
}
