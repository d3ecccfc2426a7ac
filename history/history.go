// Package history records what a sandbox's stream carried (docs/stream.md:
// snapshots, then upserts and deletes of normalized objects), each with its
// time, in an append-only file per sandbox, and rebuilds the cluster as the
// stream showed it at any recorded moment, or what changed between two.
//
// A log is bounded: past MaxEntries, the oldest half is folded into a base
// state (the state at the first kept moment) and the file is rewritten, so
// a learner's history costs at most about MaxEntries lines on disk.
package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxEntries bounds one sandbox's log.
const DefaultMaxEntries = 20000

// ErrTooOld is returned for a moment before the kept history.
var ErrTooOld = errors.New("history: that moment is older than the kept history")

// Obj is a normalized object of the stream.
type Obj = map[string]any

// Entry is one recorded line: a snapshot (Objects, replacing the state),
// an upsert or a delete (Obj), or a mark (Mark: something the learner did
// or a verdict change; it changes no state).
type Entry struct {
	At      int64  `json:"t"` // Unix milliseconds
	Op      string `json:"op"`
	Obj     Obj    `json:"obj,omitempty"`
	Objects []Obj  `json:"objects,omitempty"`
	Mark    *Mark  `json:"mark,omitempty"`
}

// line is a recorded entry as it was written: its time and operation, and
// the line itself, decoded only when a moment is rebuilt. Appending then
// costs one encoding, and a kept entry the bytes of its line, not a tree
// of maps.
type line struct {
	at  int64
	op  string
	raw []byte
}

// entry decodes the line.
func (ln line) entry() Entry {
	var e Entry
	_ = json.Unmarshal(ln.raw, &e) // written by Append or checked by Open
	return e
}

// Key identifies an object: kind/namespace/name.
func Key(o Obj) string {
	s := func(k string) string { v, _ := o[k].(string); return v }
	return s("kind") + "/" + s("namespace") + "/" + s("name")
}

// Log is one sandbox's history.
type Log struct {
	mu      sync.Mutex
	path    string
	max     int
	base    map[string]Obj // state before entries[0]
	baseAt  int64          // 0: the log starts at the sandbox's beginning
	entries []line
	// checkpoints[i] is the state after entries[:(i+1)*every], made by
	// the first rebuild of a moment that needs it, so that a later one
	// decodes at most every lines (checkpointEvery).
	checkpoints []map[string]Obj
	every       int
	appender    *os.File
	// epoch names this opening of the log and dropped counts the entries
	// compacted away since, so that entry number n (counted from the
	// opening) is entries[n-dropped]: a page that keeps the log asks only
	// for what it lacks (Since).
	epoch   string
	dropped int
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Open opens (or creates) the log of sandbox name in dir. maxEntries <= 0
// is DefaultMaxEntries.
func Open(dir, name string, maxEntries int) (*Log, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("history: bad sandbox name %q", name)
	}
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	l := &Log{path: filepath.Join(dir, name+".jsonl"), max: maxEntries, base: map[string]Obj{}, epoch: newEpoch(), every: checkpointEvery}
	f, err := os.Open(l.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("history: %w", err)
	default:
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		first := true
		for sc.Scan() {
			var head struct {
				At int64  `json:"t"`
				Op string `json:"op"`
			}
			if json.Unmarshal(sc.Bytes(), &head) != nil {
				continue // a line cut short by a crash
			}
			if first && head.Op == "base" {
				var e Entry
				if json.Unmarshal(sc.Bytes(), &e) != nil {
					continue
				}
				l.baseAt = e.At
				for _, o := range e.Objects {
					l.base[Key(o)] = o
				}
			} else {
				l.entries = append(l.entries, line{at: head.At, op: head.Op, raw: append([]byte(nil), sc.Bytes()...)})
			}
			first = false
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("history: read %s: %w", l.path, err)
		}
	}
	if l.appender, err = os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return l, nil
}

// Close closes the log's file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.appender == nil {
		return nil
	}
	err := l.appender.Close()
	l.appender = nil
	return err
}

// Append records an entry (its At is set to now if zero).
func (l *Log) Append(e Entry) error {
	if e.At == 0 {
		e.At = time.Now().UnixMilli()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	b = append(b, '\n')
	return l.write(b, []line{{at: e.At, op: e.Op, raw: b[:len(b)-1]}})
}

// write appends buf, the lines' bytes each followed by a newline, to the
// file with one write, and keeps the lines as written, so that a moment
// reads the same before and after a restart (JSON numbers either way).
func (l *Log) write(buf []byte, lines []line) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.appender == nil {
		return errors.New("history: log closed")
	}
	if _, err := l.appender.Write(buf); err != nil {
		return fmt.Errorf("history: append: %w", err)
	}
	l.entries = append(l.entries, lines...)
	if len(l.entries) > l.max {
		return l.compactLocked()
	}
	return nil
}

// Change is an upsert or a delete whose object is already encoded (the
// stream encodes each change once for every page and the recorder).
type Change struct {
	Op  string
	Obj json.RawMessage
}

// AppendChanges records changes that arrived together, in their order, at
// Unix millisecond at (now if 0), with one write: each line is the one
// Append writes for Entry{At: at, Op: ch.Op, Obj: ch.Obj}. Each Obj must
// be a JSON object as encoding/json writes it (compact).
func (l *Log) AppendChanges(at int64, chs []Change) error {
	if len(chs) == 0 {
		return nil
	}
	if at == 0 {
		at = time.Now().UnixMilli()
	}
	n := 0
	for _, ch := range chs {
		n += len(ch.Obj) + 48
	}
	buf := make([]byte, 0, n)
	lines := make([]line, len(chs))
	for i, ch := range chs {
		// The stream's encoder wrote it: a cheap check of its shape,
		// not a second scan of every byte.
		if o := ch.Obj; len(o) < 2 || o[0] != '{' || o[len(o)-1] != '}' || ch.Op == "" {
			return fmt.Errorf("history: change %d (%q) is not an encoded object", i, ch.Op)
		}
		start := len(buf)
		buf = append(buf, `{"t":`...)
		buf = strconv.AppendInt(buf, at, 10)
		buf = append(buf, `,"op":`...)
		buf = strconv.AppendQuote(buf, ch.Op)
		buf = append(buf, `,"obj":`...)
		buf = append(buf, ch.Obj...)
		buf = append(buf, '}')
		lines[i] = line{at: at, op: ch.Op, raw: buf[start:len(buf):len(buf)]}
		buf = append(buf, '\n')
	}
	return l.write(buf, lines)
}

// compactLocked folds the oldest half of the entries into the base and
// rewrites the file.
func (l *Log) compactLocked() error {
	cut := len(l.entries) / 2
	for _, ln := range l.entries[:cut] {
		apply(l.base, ln.entry())
	}
	l.baseAt = l.entries[cut-1].at
	l.entries = append([]line(nil), l.entries[cut:]...)
	l.checkpoints = nil
	l.dropped += cut
	tmp := l.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("history: compact: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	if err := enc.Encode(Entry{At: l.baseAt, Op: "base", Objects: sorted(l.base)}); err != nil {
		f.Close()
		return fmt.Errorf("history: compact: %w", err)
	}
	for _, ln := range l.entries {
		_, _ = w.Write(ln.raw)
		if err := w.WriteByte('\n'); err != nil {
			f.Close()
			return fmt.Errorf("history: compact: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("history: compact: %w", err)
	}
	f.Close()
	if err := os.Rename(tmp, l.path); err != nil {
		return fmt.Errorf("history: compact: %w", err)
	}
	l.appender.Close()
	l.appender, err = os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("history: compact: %w", err)
	}
	return nil
}

func apply(state map[string]Obj, e Entry) {
	switch e.Op {
	case "snapshot":
		clear(state)
		for _, o := range e.Objects {
			state[Key(o)] = o
		}
	case "upsert":
		state[Key(e.Obj)] = e.Obj
	case "delete":
		delete(state, Key(e.Obj))
	}
}

func sorted(state map[string]Obj) []Obj {
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Obj, 0, len(keys))
	for _, k := range keys {
		out = append(out, state[k])
	}
	return out
}

// At returns the objects as the stream showed them at Unix millisecond t
// (sorted by kind, namespace, name).
func (l *Log) At(t int64) ([]Obj, error) {
	st, err := l.stateAt(t)
	if err != nil {
		return nil, err
	}
	return sorted(st), nil
}

func (l *Log) stateAt(t int64) (map[string]Obj, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.baseAt != 0 && t < l.baseAt {
		return nil, ErrTooOld
	}
	// The entries up to the first after t, as replay counts them.
	n := len(l.entries)
	for i, ln := range l.entries {
		if ln.at > t {
			n = i
			break
		}
	}
	from, start := l.base, 0
	if k := n / l.every; k > 0 {
		for len(l.checkpoints) < k {
			prev, at := l.base, len(l.checkpoints)*l.every
			if len(l.checkpoints) > 0 {
				prev = l.checkpoints[len(l.checkpoints)-1]
			}
			l.checkpoints = append(l.checkpoints, replay(prev, l.entries[at:at+l.every], math.MaxInt64))
		}
		from, start = l.checkpoints[k-1], k*l.every
	}
	return replay(from, l.entries[start:n], math.MaxInt64), nil
}

// checkpointEvery is how many entries apart the kept states of a log are.
const checkpointEvery = 512

// replay is the state at t: base with the entries applied in their order
// up to the first one after t.
func replay(base map[string]Obj, entries []line, t int64) map[string]Obj {
	st := make(map[string]Obj, len(base))
	for k, o := range base {
		st[k] = o
	}
	for _, ln := range entries {
		if ln.at > t {
			break
		}
		if ln.op != "mark" {
			apply(st, ln.entry())
		}
	}
	return st
}

// epochs makes each opening of a log in this process unique, even within
// one clock tick.
var epochs atomic.Int64

func newEpoch() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "." + strconv.FormatInt(epochs.Add(1), 36)
}

// Tail is a part of the log for a reader that keeps its own copy
// (the scrubber's page): entries From, From+1, ... of the opening Epoch
// and, when Full, the base the entries start from (the reader drops
// what it had).
type Tail struct {
	Epoch  string `json:"epoch"`
	Full   bool   `json:"full"`
	BaseAt int64  `json:"baseAt"`
	Base   []Obj  `json:"base,omitempty"`
	From   int    `json:"from"`
	// Entries are the entries as recorded: each the JSON of an Entry.
	Entries []json.RawMessage `json:"entries"`
}

// Since returns the entries from number from on, for a reader that has
// the ones before from the same opening (epoch) of the log. When it does
// not (another epoch, a number compaction dropped, or one not reached yet),
// the answer is Full: the base and every kept entry. The state at a moment
// t is the base with the entries applied, in their order, up to the first
// entry after t (as At rebuilds it).
func (l *Log) Since(epoch string, from int) Tail {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Tail{Epoch: l.epoch, BaseAt: l.baseAt}
	if epoch != l.epoch || from < l.dropped || from > l.dropped+len(l.entries) {
		t.Full, t.Base, from = true, sorted(l.base), l.dropped
	}
	t.From = from
	t.Entries = make([]json.RawMessage, 0, len(l.entries)-(from-l.dropped))
	for _, ln := range l.entries[from-l.dropped:] {
		t.Entries = append(t.Entries, ln.raw)
	}
	return t
}

// Range returns the first and last recorded moments and the entry count.
func (l *Log) Range() (first, last int64, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first = l.baseAt
	if len(l.entries) > 0 {
		if first == 0 {
			first = l.entries[0].at
		}
		last = l.entries[len(l.entries)-1].at
	}
	return first, last, len(l.entries)
}

// Delete removes the log's file (the sandbox was deleted).
func (l *Log) Delete() error {
	l.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.base, l.baseAt, l.checkpoints = nil, map[string]Obj{}, 0, nil
	l.epoch, l.dropped = newEpoch(), 0
	if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("history: delete: %w", err)
	}
	var err error
	l.appender, err = os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	return err
}
