package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/text"
)

// md renders Markdown and parses the result.
func md(t *testing.T, lang, src string) (string, *html.Node) {
	t.Helper()
	out := string(RenderMarkdownLang(lang, src))
	return out, doc(t, out)
}

func TestMarkdownKubectlRunButtons(t *testing.T) {
	out, d := md(t, "en", "Create it:\n\n```kubectl\nkubectl create namespace my-ns\n```\n")
	fig := one(t, d, "figure", tag("figure"))
	wantAttr(t, fig, "class", "code-block")
	wantAttr(t, fig, "data-code", "kubectl")
	code := one(t, fig, "pre code", tag("code"))
	if code.Parent.Data != "pre" || textOf(code) != "kubectl create namespace my-ns" {
		t.Errorf("code block: %q in <%s>", textOf(code), code.Parent.Data)
	}
	run := one(t, fig, "run button", has("data-run"))
	wantAttr(t, run, "data-run", "kubectl create namespace my-ns")
	wantAttr(t, run, "type", "button")
	if textOf(run) != "Run" {
		t.Errorf("run button text %q", textOf(run))
	}
	wantAttr(t, run, "aria-label", "Run in the console: kubectl create namespace my-ns")
	cp := one(t, fig, "copy button", has("data-copy"))
	wantAttr(t, cp, "data-copy", "kubectl create namespace my-ns")
	if textOf(cp) != "Copy" {
		t.Errorf("copy text %q", textOf(cp))
	}
	if len(all(fig, has("data-edit"))) != 0 {
		t.Error("a kubectl block has no editor button")
	}
	if strings.Contains(out, "<p>```") {
		t.Error("fence not parsed")
	}

	_, d = md(t, "ko", "```kubectl\nkubectl get pods\n```")
	wantText(t, one(t, d, "run", has("data-run")), "run ko", "실행")
	wantText(t, one(t, d, "copy", has("data-copy")), "copy ko", "복사")
}

func TestMarkdownShellBlocks(t *testing.T) {
	src := "```bash\n# list things\n$ kubectl get pods -n my-ns\necho done\nkubectl label pod web \\\n  tier=front\nkubectl delete pod <pod-name>\n```\n"
	_, d := md(t, "en", src)
	runs := all(d, has("data-run"))
	var got []string
	for _, r := range runs {
		got = append(got, attrVal(r, "data-run"))
		if !strings.Contains(textOf(r), attrVal(r, "data-run")) {
			t.Errorf("with several commands each Run button shows its command: %q", textOf(r))
		}
	}
	want := []string{"kubectl get pods -n my-ns", "kubectl label pod web tier=front"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("run commands %q, want %q", got, want)
	}
	wantText(t, one(t, d, "placeholder note", has("class", "code-note")), "note", "Replace the <...> part")
	one(t, d, "copy", has("data-copy"))

	_, d = md(t, "en", "```sh\necho hello\n```")
	if len(all(d, has("data-run"))) != 0 {
		t.Error("a shell block without kubectl has no Run button")
	}
	one(t, d, "copy", has("data-copy"))
}

func TestMarkdownYAMLEditButton(t *testing.T) {
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"x\" # it's <b>&amp;</b>\ndata:\n  page: \"</code></pre><script>alert(1)</script>\"\n"
	out, d := md(t, "en", "```yaml\n"+manifest+"```\n")
	want := strings.TrimSuffix(manifest, "\n")
	ed := one(t, d, "edit button", has("data-edit"))
	if got := attrVal(ed, "data-edit"); got != want {
		t.Errorf("data-edit = %q, want %q", got, want)
	}
	if textOf(ed) != "Open in editor" {
		t.Errorf("edit text %q", textOf(ed))
	}
	wantAttr(t, one(t, d, "copy", has("data-copy")), "data-copy", want)
	if got := textOf(one(t, d, "code", tag("code"))); got != strings.Join(strings.Fields(want), " ") {
		t.Errorf("code text %q", got)
	}
	if len(all(d, has("data-run"))) != 0 {
		t.Error("yaml has no Run button")
	}
	if len(all(d, tag("script"))) != 0 || strings.Contains(out, "<script>") {
		t.Error("manifest text escaped nowhere")
	}
	if !strings.Contains(out, `data-edit="apiVersion: v1&#10;kind: ConfigMap&#10;`) {
		t.Errorf("line breaks in data-edit kept as character references: %s", out)
	}
	_, d = md(t, "ko", "```yaml\na: 1\n```")
	wantText(t, one(t, d, "edit ko", has("data-edit")), "edit ko", "편집기로")
}

func TestMarkdownOtherBlocksCopyOnly(t *testing.T) {
	for _, src := range []string{"```text\nNAME READY\n```", "```\nplain\n```", "    indented code\n"} {
		_, d := md(t, "en", src)
		one(t, d, "copy", has("data-copy"))
		if n := len(all(d, has("data-run"))) + len(all(d, has("data-edit"))); n != 0 {
			t.Errorf("%q: %d run/edit buttons", src, n)
		}
	}
}

func TestMarkdownIsSafe(t *testing.T) {
	src := "Hi <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div onclick=\"evil()\">block</div>\n\n" +
		"[click](javascript:alert(3)) [docs](https://kubernetes.io/docs/) [local](/labs/pods) <https://12factor.net/> www.cncf.io\n"
	out, d := md(t, "en", src)
	for _, bad := range []string{"<script", "<img", "onerror", "onclick", "<div", "javascript:"} {
		if strings.Contains(out, bad) {
			t.Errorf("output keeps %q: %s", bad, out)
		}
	}
	links := all(d, tag("a"))
	if len(links) != 5 {
		t.Fatalf("%d links in %s", len(links), out)
	}
	for _, a := range links {
		wantAttr(t, a, "rel", "noopener noreferrer")
		external := strings.HasPrefix(attrVal(a, "href"), "http")
		if _, ok := attrOf(a, "target"); ok != external {
			t.Errorf("link %q: target=_blank %v, want %v", attrVal(a, "href"), ok, external)
		}
	}
	if attrVal(links[0], "href") != "" {
		t.Errorf("javascript: link kept: %q", attrVal(links[0], "href"))
	}
}

func TestMarkdownHeadingsAndTables(t *testing.T) {
	_, d := md(t, "en", "## Grammar\n\ntext\n\n### Detail\n\n| a | b |\n|---|---|\n| `get` | x |\n")
	one(t, d, "h3", tag("h3"))
	one(t, d, "h4", tag("h4"))
	if len(all(d, tag("h2"))) != 0 {
		t.Error("step Markdown headings start below the page's h2")
	}
	one(t, d, "table", tag("table"))
}

func TestRenderMarkdownPicksLanguage(t *testing.T) {
	if !strings.Contains(string(RenderMarkdown("네임스페이스를 만드세요:\n\n```kubectl\nkubectl create ns a\n```")), ">실행<") {
		t.Error("Korean text: Korean buttons")
	}
	if !strings.Contains(string(RenderMarkdown("Create it:\n\n```kubectl\nkubectl create ns a\n```")), ">Run<") {
		t.Error("English text: English buttons")
	}
}

func TestMarkdownConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if !strings.Contains(string(RenderMarkdownLang("en", "```kubectl\nkubectl get pods\n```")), `data-run="kubectl get pods"`) {
					t.Error("concurrent render")
				}
			}
		}()
	}
	wg.Wait()
}

// TestMarkdownLabContent renders every step text of the course: every kubectl line without a
// placeholder gets its Run button, every yaml block its editor button, and no HTML gets through.
func TestMarkdownLabContent(t *testing.T) {
	files, _ := filepath.Glob("../labs/content/*/lab.yaml")
	if len(files) == 0 {
		t.Skip("no lab content")
	}
	fence := regexp.MustCompile("(?s)```(\\w*)\\n(.*?)```")
	var lab struct {
		Steps []struct {
			Text text.Text `json:"text"`
		} `json:"steps"`
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &lab); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range lab.Steps {
			for _, lang := range text.Langs {
				src := s.Text.Pick(lang)
				wantRun, wantEdit := 0, 0
				for _, m := range fence.FindAllStringSubmatch(src, -1) {
					switch m[1] {
					case "kubectl":
						for _, l := range strings.Split(m[2], "\n") {
							if strings.HasPrefix(strings.TrimSpace(l), "kubectl ") && !placeholderRE.MatchString(l) {
								wantRun++
							}
						}
					case "yaml":
						wantEdit++
					}
				}
				out, d := md(t, lang, src)
				if got := len(all(d, has("data-run"))); got != wantRun {
					t.Errorf("%s (%s): %d Run buttons, want %d", f, lang, got, wantRun)
				}
				if got := len(all(d, has("data-edit"))); got != wantEdit {
					t.Errorf("%s (%s): %d editor buttons, want %d", f, lang, got, wantEdit)
				}
				if strings.Contains(out, "<script") || strings.Contains(out, "raw HTML omitted") {
					t.Errorf("%s (%s): HTML in content", f, lang)
				}
			}
		}
	}
}

func TestRenderInlineMarkdown(t *testing.T) {
	for src, want := range map[string]string{
		"Run `kubectl get pods` *now*":     "Run <code>kubectl get pods</code> <em>now</em>",
		"`a < b` and <b>bold</b> & more":   "<code>a &lt; b</code> and &lt;b&gt;bold&lt;/b&gt; &amp; more",
		`<script>alert("x")</script>`:      "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"kubectl get pod <name>":           "kubectl get pod &lt;name&gt;",
		"[docs](javascript:alert(1)) text": `<a href="" rel="noopener noreferrer">docs</a> text`,
		"one\n\ntwo":                       "<p>one</p>\n<p>two</p>",
	} {
		if got := string(RenderInlineMarkdown("en", src)); got != want {
			t.Errorf("RenderInlineMarkdown(%q) = %q, want %q", src, got, want)
		}
	}
}
