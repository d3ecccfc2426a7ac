package console

import "github.com/kubelab/kubelab/text"

// Error is why Parse or Validate refused a console line. Code is stable
// and meant for programs (the front end, tests, metrics); the Text (Ko and
// En) is the message shown to the learner, in Korean and in English.
type Error struct {
	// Code names the kind of refusal, for example "shell-operator",
	// "command-not-allowed" or "flag-not-allowed". The codes are the
	// Code* constants of this package.
	Code string
	// Text is the message for the learner in both languages.
	text.Text
}

// Error returns the English message.
func (e *Error) Error() string { return e.En }

// Codes of Error. Each names one kind of refusal.
const (
	// CodeEmpty: the line has no words.
	CodeEmpty = "empty"
	// CodeTooLong: the line is longer than MaxLineLength bytes.
	CodeTooLong = "too-long"
	// CodeTooManyArgs: the line has more than MaxArgs arguments.
	CodeTooManyArgs = "too-many-args"
	// CodeBadChar: a newline, another control character or invalid UTF-8.
	CodeBadChar = "bad-char"
	// CodeUnterminated: an opening quote without its closing quote, or a
	// backslash at the end of the line.
	CodeUnterminated = "unterminated-quote"
	// CodeShellOperator: an unquoted ; | & > < ( ) or a # comment.
	CodeShellOperator = "shell-operator"
	// CodeShellSubstitution: a command or parameter substitution: $( ${
	// backticks, $'...' or $"...".
	CodeShellSubstitution = "shell-substitution"
	// CodeShellVariable: a shell variable such as $HOME; nothing expands it.
	CodeShellVariable = "shell-variable"
	// CodeNotKubectl: the line runs another program than kubectl.
	CodeNotKubectl = "not-kubectl"
	// CodeNoCommand: flags that stop kubectl from finding its command.
	CodeNoCommand = "no-command"
	// CodeCommandNotAllowed: a kubectl command the console does not run.
	CodeCommandNotAllowed = "command-not-allowed"
	// CodeUseEditor: kubectl edit and friends; the YAML editor does that.
	CodeUseEditor = "use-editor"
	// CodeFlagNotAllowed: a flag that changes the target cluster, the
	// identity or credentials, or writes files or logs on the server.
	CodeFlagNotAllowed = "flag-not-allowed"
	// CodeUnknownFlag: a flag kubectl does not know before the command
	// name, where it could change which command runs.
	CodeUnknownFlag = "unknown-flag"
	// CodeFileFlag: a flag that reads files on the server (-f, -k,
	// --from-file, ...); manifests go in the YAML editor.
	CodeFileFlag = "file-flag"
	// CodeNoStdin: "-f -" and the like; the console has no standard input.
	CodeNoStdin = "no-stdin"
	// CodeNoTerminal: -i, -t, --stdin, --tty, --interactive; the console
	// has no terminal.
	CodeNoTerminal = "no-terminal"
	// CodeRawURL: --raw with a full URL, or to a proxy subresource; only
	// paths on the sandbox's API server that stay there are allowed.
	CodeRawURL = "raw-url"
	// CodeOutputFile: an output format that reads a template file.
	CodeOutputFile = "output-file"
	// CodeCredentials: kubectl config view --raw or --flatten, which would
	// show the sandbox's credentials.
	CodeCredentials = "credentials"
)

// newError is a refusal with code and the learner's message t (see msg).
func newError(code string, t text.Text) *Error { return &Error{Code: code, Text: t} }
