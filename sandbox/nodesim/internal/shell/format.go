package shell

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration as sleep does: 10, 1.5s, 2m, 1h, 1d, or Go's 1m30s (0 if it is none).
func ParseDuration(s string) time.Duration {
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	mult := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(mult))
}

// unescape replaces echo -e's escapes.
func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\r`, "\r", `\a`, "", `\c`, "")
	return r.Replace(s)
}

// formatPrintf is printf's output: the format again while arguments remain.
func formatPrintf(format string, args []string) string {
	format = unescape(format)
	var b strings.Builder
	ai := 0
	next := func() string {
		if ai < len(args) {
			ai++
			return args[ai-1]
		}
		return ""
	}
	for {
		for i := 0; i < len(format); i++ {
			if format[i] != '%' || i+1 >= len(format) {
				b.WriteByte(format[i])
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-0123456789.", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			spec := format[i : j+1]
			switch format[j] {
			case '%':
				b.WriteByte('%')
			case 'd', 'i':
				n, _ := strconv.Atoi(next())
				b.WriteString(fmt.Sprintf(strings.TrimSuffix(spec, "i")[:len(spec)-1]+"d", n))
			default:
				b.WriteString(fmt.Sprintf(spec[:len(spec)-1]+"s", next()))
			}
			i = j
		}
		if ai == 0 || ai >= len(args) {
			break
		}
	}
	return b.String()
}

// strftime formats t as date +FORMAT does.
func strftime(f string, t time.Time) string {
	r := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04", "%S", "05",
		"%y", "06", "%b", "Jan", "%a", "Mon", "%Z", "MST", "%T", "15:04:05", "%F", "2006-01-02", "%%", "%")
	if f == "%s" {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.Format(r.Replace(f))
}
