// Package assets embeds the browser's static files (JavaScript modules,
// stylesheets) so that the kubelab binary serves them with no other files.
package assets

import "embed"

// Static holds static/: js/ and css/.
//
//go:embed static
var Static embed.FS
