package shell

import (
	"strings"
	"testing"
	"time"
)

func TestShellScripts(t *testing.T) {
	env := &Env{Vars: map[string]string{"JOB_COMPLETION_INDEX": "2", "MY_POD_NAME": "p"}, Hostname: "h", Start: time.Unix(0, 0)}
	cases := []struct {
		argv []string
		out  string
		code int
		ends bool
	}{
		{[]string{"sh", "-c", "echo one; echo two && exit 3"}, "one\ntwo", 3, true},
		{[]string{"bash", "-c", "items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\ncat /input/data.txt | rev"}, "zab", 0, true},
		{[]string{"sh", "-c", "for i in 1 2 3; do echo $i; done; i=$((2+3)); echo $i"}, "1\n2\n3\n5", 0, true},
		{[]string{"sh", "-c", "while true; do echo -en '\\n'; printenv MY_POD_NAME; sleep 10; done;"}, "", 0, false},
		{[]string{"sh", "-c", "if [ -f /nothing ]; then echo yes; else echo no; fi"}, "no", 0, true},
		{[]string{"date"}, "Thu Jan  1 00:00:00 UTC 1970", 0, true},
		{[]string{"sh", "-c", "exec nginx -g 'daemon off;'"}, "", 0, false},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
			res := Run(c.argv, env, time.Hour)
			got := linesText(res.Lines)
			if c.out != "" && got != c.out || res.Code != c.code || res.Ended != c.ends {
				t.Errorf("%q: out %q code %d ended %v", c.argv, got, res.Code, res.Ended)
			}
		})
	}
	res := Run([]string{"sh", "-c", "while true; do echo -en '\\n'; printenv MY_POD_NAME; sleep 10; done;"}, env, 25*time.Second)
	if got := linesText(res.Lines); got != "\np\n\np\n\np" {
		t.Errorf("loop output %q", got)
	}
	if d := piDigits(10); d != "3.141592653" {
		t.Errorf("pi %q", d)
	}
}

// tail -F waits for a file that is not there yet; tail -f gives up.
func TestTailFollow(t *testing.T) {
	env := &Env{Vars: map[string]string{}, Start: time.Unix(0, 0)}
	cases := []struct {
		argv  []string
		ends  bool
		code  int
		lines string
	}{
		{[]string{"tail", "-F", "/var/log/missing.log"}, false, 0, "tail: can't open '/var/log/missing.log': No such file or directory"},
		{[]string{"tail", "-f", "/var/log/missing.log"}, true, 1, "tail: can't open '/var/log/missing.log': No such file or directory"},
		{[]string{"sh", "-c", "echo a > /tmp/f; echo b >> /tmp/f; tail -n 1 -f /tmp/f"}, false, 0, "b"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
			res := Run(c.argv, env, time.Hour)
			if res.Ended != c.ends || (c.ends && res.Code != c.code) || linesText(res.Lines) != c.lines {
				t.Errorf("%q: ended %v code %d output %q", c.argv, res.Ended, res.Code, linesText(res.Lines))
			}
		})
	}
}

// linesText is the text of the lines, one a line.
func linesText(ls []Line) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return strings.Join(out, "\n")
}
