package text

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Messages are a package's fixed messages by key, read from a YAML data
// file (see Load) that maps each key to a Text:
//
//	too-long:
//	  ko: 명령이 너무 깁니다(%d바이트).
//	  en: The command is too long (%d bytes).
//
// A message with arguments is a fmt template in both languages; see
// Text.Format. Code names a message by its key, written as a string
// literal, so that a test can check the keys in the code against the file
// (text/texttest.CheckKeys).
type Messages map[string]Text

// Load reads the messages file name from fsys (usually an embed.FS). The
// file is read strictly: a key twice, or a field other than ko and en, is an
// error, and so is a file without messages, a message empty in either
// language, or one whose languages have different numbers of fmt verbs
// (see Verbs).
func Load(fsys fs.FS, name string) (Messages, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("text: messages: %w", err)
	}
	var m Messages
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("text: messages %s: %w", name, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("text: messages %s: no messages", name)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		t := m[k]
		switch ko, en := Verbs(t.Ko), Verbs(t.En); {
		case strings.TrimSpace(t.Ko) == "" || strings.TrimSpace(t.En) == "":
			errs = append(errs, fmt.Errorf("%s: empty in Korean or English", k))
		case ko != en:
			errs = append(errs, fmt.Errorf("%s: %d fmt verbs in Korean, %d in English", k, ko, en))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("text: messages %s: %w", name, err)
	}
	return m, nil
}

// MustLoad is Load for a package's embedded messages, read into a
// package-level variable: it panics if the file cannot be read, so a broken
// file stops the program (and every test of the package) at start.
func MustLoad(fsys fs.FS, name string) Messages {
	m, err := Load(fsys, name)
	if err != nil {
		panic(err)
	}
	return m
}

// Get returns the message with key. A key missing from the file is a bug,
// which the package's test of its keys (text/texttest.CheckKeys) finds, so
// Get panics on it rather than show the learner an empty message.
func (m Messages) Get(key string) Text {
	t, ok := m[key]
	if !ok {
		panic(fmt.Sprintf("text: no message %q", key))
	}
	return t
}

// Format formats each language's string as a fmt.Sprintf template with
// args. An argument that is itself a Text stands for its string in the
// language being formatted, for words that differ by language:
//
//	notFound.Format(New("Pod web", "Pod web"))
func (t Text) Format(args ...any) Text {
	return t.Map(func(lang, s string) string {
		a := make([]any, len(args))
		for i, x := range args {
			if tx, ok := x.(Text); ok {
				x = tx.Pick(lang)
			}
			a[i] = x
		}
		return fmt.Sprintf(s, a...)
	})
}

// Verbs counts the arguments that the fmt template format uses: one per
// verb (%s, %q, %04X...) and one per * width or precision; %% uses none.
// Explicit argument indexes (%[1]s) are not followed: each verb counts.
func Verbs(format string) int {
	n := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		for i++; i < len(format); i++ {
			c := format[i]
			if c == '*' {
				n++
				continue
			}
			if strings.IndexByte("+-# 0.[]", c) >= 0 || c >= '1' && c <= '9' {
				continue // flags, argument index, width and precision
			}
			if c != '%' {
				n++
			}
			break
		}
	}
	return n
}
