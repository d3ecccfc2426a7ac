package labs

import (
	"embed"

	"github.com/kubelab/kubelab/text"
)

//go:embed messages.yaml
var messagesFS embed.FS

// messages are the grader's own messages to the learner, in messages.yaml.
var messages = text.MustLoad(messagesFS, "messages.yaml")

// msg returns the message key of messages.yaml. The key is a string
// literal, and a message with arguments is formatted where it is named,
// msg(key).Format(args...): TestMessages checks both against the file.
func msg(key string) text.Text { return messages.Get(key) }
