package console

import (
	"testing"

	"github.com/kubelab/kubelab/text/texttest"
)

// TestMessages: every message the code names is in messages.yaml, with as
// many fmt verbs as the code gives arguments, and every message there is
// used. (Loading the file, at init, checks that each message has both
// languages with the same verbs.)
func TestMessages(t *testing.T) {
	texttest.CheckKeys(t, messages, ".", "msg")
}
