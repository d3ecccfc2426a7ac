package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

//go:embed class.css
var classCSS string

// classStyle writes the class pages' style sheet (with the CSP nonce, if any).
func classStyle() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "<style"+nonceAttr(ctx)+">"+classCSS+"</style>")
		return err
	})
}

// CellStates are the states of a heat map cell, for the UI strings cell.*.
var CellStates = []string{"passed", "failed", "pending"}

// classURL is the address of a class's dashboard, or of a path under it.
func classURL(id int64, rest ...string) string {
	return "/class/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}

// studentURL is the address of a student's page in a class, or of a path under it.
func studentURL(class, user int64, rest ...string) string {
	return classURL(class, "/students/", strconv.FormatInt(user, 10)) + strings.Join(rest, "")
}

// cellKey is a heat map cell's data-cell: "<user>|<lab>|<step>".
func cellKey(user int64, lab, step string) string {
	return strconv.FormatInt(user, 10) + "|" + lab + "|" + step
}

// cellText is a cell's state in words (for screen readers and the hover text).
func cellText(lang, state string) string {
	for _, s := range CellStates {
		if s == state {
			return T(lang, "cell."+s)
		}
	}
	return T(lang, "cell.pending")
}

// CellName is a heat map cell's name: "Lab › Step".
func CellName(labTitle, stepTitle string) string { return labTitle + " › " + stepTitle }

// CellTitle is a heat map cell's hover text: "Lab › Step: state — message" (as the dashboard
// script writes it).
func CellTitle(lang, labTitle, stepTitle, state, message string) string {
	s := CellName(labTitle, stepTitle) + ": " + cellText(lang, state)
	if state == "failed" && message != "" {
		s += " — " + message
	}
	return s
}

// fmtTime formats t for a page (UTC; the dashboard script shows local time); "" for zero.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// isoTime is t as a <time datetime>.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// dashStrings are the words the dashboard and student page scripts write (in the page's
// language), passed as data-i18n so every UI string stays in i18n.yaml.
func dashStrings(lang string) string {
	m := map[string]string{}
	for _, s := range CellStates {
		m["cell."+s] = T(lang, "cell."+s)
	}
	for _, s := range SandboxStates {
		m["sb."+s] = T(lang, "sb."+s)
	}
	m["sb.none"] = T(lang, "sb.none")
	for _, s := range []string{"connecting", "open", "reconnecting", "closed"} {
		m["conn."+s] = T(lang, "dash.conn."+s)
	}
	m["never"] = T(lang, "dash.never")
	m["students"] = T(lang, "dash.students")
	b, _ := json.Marshal(m)
	return string(b)
}

// sandboxWords is a sandbox state in words ("" = none yet).
func sandboxWords(lang, state string) string { return T(lang, sandboxKey("sb.", state)) }

// rowProgress is "passed/total".
func rowProgress(r HeatRow) string { return strconv.Itoa(r.Passed) + "/" + strconv.Itoa(r.Total) }

// CompletionPlot is the class's completion over time as an SVG line chart: how many steps the
// class has passed (first passes, cumulative) since the class began.
type CompletionPlot struct {
	W, H int
	// Line and Area are SVG path data.
	Line, Area string
	XTicks     []PlotTick
	YTicks     []PlotTick
	// Passed of Total (students x steps) are passed now.
	Passed, Total int
	// Label is the chart's accessible summary.
	Label string
	Empty bool
}

// PlotTick is one axis tick at Pos (pixels).
type PlotTick struct {
	Pos   float64
	Label string
}

// Plot geometry.
const (
	plotW, plotH                 = 640, 220
	plotL, plotR, plotT, plotB   = 48, 16, 14, 30
	plotInnerW, plotInnerH       = plotW - plotL - plotR, plotH - plotT - plotB
	plotMinSpan                  = 10 * time.Minute
	plotXTicks                   = 4
	plotAxisLeft, plotAxisBottom = plotL, plotH - plotB
)

// NewCompletionPlot draws passes (the times steps were first passed) between from and to; total
// is the number of student-steps there are to pass.
func NewCompletionPlot(lang string, passes []time.Time, from, to time.Time, total int) CompletionPlot {
	p := CompletionPlot{W: plotW, H: plotH, Passed: len(passes), Total: total}
	pct := 0
	if total > 0 {
		pct = int(math.Round(float64(len(passes)) * 100 / float64(total)))
	}
	p.Label = Tf(lang, "dash.plot_label", "passed", strconv.Itoa(len(passes)), "total", strconv.Itoa(total), "percent", strconv.Itoa(pct))
	ts := append([]time.Time(nil), passes...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	if len(ts) > 0 && ts[0].Before(from) {
		from = ts[0]
	}
	if len(ts) > 0 && ts[len(ts)-1].After(to) {
		to = ts[len(ts)-1]
	}
	if to.Sub(from) < plotMinSpan {
		to = from.Add(plotMinSpan)
	}
	ymax := niceCeil(max(len(ts), 1))
	x := func(t time.Time) float64 {
		return plotL + float64(t.Sub(from))/float64(to.Sub(from))*plotInnerW
	}
	y := func(n int) float64 { return plotT + plotInnerH - float64(n)/float64(ymax)*plotInnerH }
	var b strings.Builder
	fmt.Fprintf(&b, "M%.1f %.1f", x(from), y(0))
	for i, t := range ts {
		fmt.Fprintf(&b, "H%.1f V%.1f", x(t), y(i+1))
	}
	fmt.Fprintf(&b, "H%.1f", x(to))
	p.Line = b.String()
	p.Area = p.Line + fmt.Sprintf("V%.1f H%.1fZ", y(0), x(from))
	p.Empty = len(ts) == 0
	for i := 0; i <= 4; i++ {
		n := ymax * i / 4
		if i > 0 && n == ymax*(i-1)/4 {
			continue
		}
		p.YTicks = append(p.YTicks, PlotTick{Pos: y(n), Label: strconv.Itoa(n)})
	}
	layout := "15:04"
	if to.Sub(from) > 24*time.Hour {
		layout = "01-02 15:04"
	}
	for i := 0; i <= plotXTicks; i++ {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(i) / plotXTicks))
		p.XTicks = append(p.XTicks, PlotTick{Pos: x(t), Label: t.UTC().Format(layout)})
	}
	return p
}

// niceCeil is the top of the y axis: four ticks of 1, 2 or 5 times a power of ten, at least n.
func niceCeil(n int) int {
	step := (max(n, 1) + 3) / 4
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= step {
				return 4 * m * p
			}
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// seatText is a class's seat use: "12 of 30 seats taken", or "no seat limit".
func seatText(l string, c ClassSummary) string {
	if c.SeatLimit <= 0 {
		return T(l, "dash.seats_none")
	}
	return Tf(l, "dash.seats_used", "n", strconv.Itoa(c.Members), "seats", strconv.Itoa(c.SeatLimit))
}
