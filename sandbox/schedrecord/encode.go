package schedrecord

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// appendDecision appends d's JSON encoding to buf: the bytes
// encoding/json.Marshal gives (same field order, same omitted fields, same
// escaping), without reflection and without allocating, apart from the
// suggestions' patches, which encoding/json encodes. at holds where the
// time's value (quotes included) starts and ends, relative to the
// decision's first byte, for the writer's fingerprint.
func appendDecision(buf []byte, d *Decision) (out []byte, at [2]int, err error) {
	start := len(buf)
	buf = append(buf, `{"pod":`...)
	buf = appendString(buf, d.Pod)
	buf = append(buf, `,"namespace":`...)
	buf = appendString(buf, d.Namespace)
	buf = append(buf, `,"uid":`...)
	buf = appendString(buf, d.UID)
	buf = append(buf, `,"time":`...)
	at[0] = len(buf) - start
	buf = appendString(buf, d.Time)
	at[1] = len(buf) - start
	buf = append(buf, `,"node":`...)
	buf = appendString(buf, d.Node)
	buf = append(buf, `,"scored":`...)
	buf = strconv.AppendBool(buf, d.Scored)
	buf = append(buf, `,"filterPlugins":`...)
	buf = appendStrings(buf, d.FilterPlugins)
	buf = append(buf, `,"scorePlugins":`...)
	if d.ScorePlugins == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, w := range d.ScorePlugins {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"plugin":`...)
			buf = appendString(buf, w.Plugin)
			buf = append(buf, `,"weight":`...)
			buf = strconv.AppendInt(buf, w.Weight, 10)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"nodes":`...)
	if d.Nodes == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i := range d.Nodes {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendNode(buf, &d.Nodes[i])
		}
		buf = append(buf, ']')
	}
	if len(d.Suggestions) > 0 {
		buf = append(buf, `,"suggestions":[`...)
		for i := range d.Suggestions {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendSuggestion(buf, &d.Suggestions[i]); err != nil {
				return buf, at, err
			}
		}
		buf = append(buf, ']')
	}
	buf = append(buf, '}')
	return buf, at, nil
}

func appendNode(buf []byte, n *NodeResult) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, n.Name)
	if n.Zone != "" {
		buf = append(buf, `,"zone":`...)
		buf = appendString(buf, n.Zone)
	}
	buf = append(buf, `,"feasible":`...)
	buf = strconv.AppendBool(buf, n.Feasible)
	buf = append(buf, `,"filters":`...)
	if n.Filters == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, f := range n.Filters {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"plugin":`...)
			buf = appendString(buf, f.Plugin)
			buf = append(buf, `,"passed":`...)
			buf = strconv.AppendBool(buf, f.Passed)
			if f.Reason != "" {
				buf = append(buf, `,"reason":`...)
				buf = appendString(buf, f.Reason)
			}
			if f.Skipped {
				buf = append(buf, `,"skipped":true`...)
			}
			if f.Stage != "" {
				buf = append(buf, `,"stage":`...)
				buf = appendString(buf, f.Stage)
			}
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	if len(n.Scores) > 0 {
		buf = append(buf, `,"scores":[`...)
		for i, s := range n.Scores {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"plugin":`...)
			buf = appendString(buf, s.Plugin)
			buf = append(buf, `,"raw":`...)
			buf = strconv.AppendInt(buf, s.Raw, 10)
			buf = append(buf, `,"score":`...)
			buf = strconv.AppendInt(buf, s.Score, 10)
			buf = append(buf, `,"weight":`...)
			buf = strconv.AppendInt(buf, s.Weight, 10)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	if n.Total != 0 {
		buf = append(buf, `,"total":`...)
		buf = strconv.AppendInt(buf, n.Total, 10)
	}
	if n.Rank != 0 {
		buf = append(buf, `,"rank":`...)
		buf = strconv.AppendInt(buf, int64(n.Rank), 10)
	}
	return append(buf, '}')
}

func appendSuggestion(buf []byte, s *Suggestion) ([]byte, error) {
	buf = append(buf, `{"plugin":`...)
	buf = appendString(buf, s.Plugin)
	buf = append(buf, `,"text":{"ko":`...)
	buf = appendString(buf, s.Text.Ko)
	buf = append(buf, `,"en":`...)
	buf = appendString(buf, s.Text.En)
	buf = append(buf, `},"target":{"apiVersion":`...)
	buf = appendString(buf, s.Target.APIVersion)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, s.Target.Kind)
	if s.Target.Namespace != "" {
		buf = append(buf, `,"namespace":`...)
		buf = appendString(buf, s.Target.Namespace)
	}
	buf = append(buf, `,"name":`...)
	buf = appendString(buf, s.Target.Name)
	buf = append(buf, `},"patch":`...)
	patch, err := json.Marshal(s.Patch)
	if err != nil {
		return buf, fmt.Errorf("schedrecord: encode the %s suggestion's patch: %w", s.Plugin, err)
	}
	buf = append(buf, patch...)
	buf = append(buf, `,"nodes":`...)
	buf = appendStrings(buf, s.Nodes)
	return append(buf, '}'), nil
}

func appendStrings(buf []byte, list []string) []byte {
	if list == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '[')
	for i, s := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, s)
	}
	return append(buf, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it: quotes, backslashes, control characters, <, > and &, U+2028
// and U+2029; invalid UTF-8 becomes U+FFFD.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
