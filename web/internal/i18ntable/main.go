// Command i18ntable writes the browser's table of UI strings
// (assets/static/js/i18n-table.js) from web/i18n.yaml. It runs from the web
// folder: go generate ./web.
package main

import (
	"log"
	"os"

	"github.com/kubelab/kubelab/web"
)

func main() {
	if err := os.WriteFile(web.ScriptTablePath, web.ScriptTable(), 0o644); err != nil {
		log.Fatalf("i18ntable: %v", err)
	}
}
