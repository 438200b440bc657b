// Package explorer holds the block explorer's static files, served by the node at / and embedded in the binary.
package explorer

import "embed"

// Static holds static/index.html, app.js and style.css: a single-page app
// with hash routes (#/block/<id>, #/tx/<hash>, ...), so any path the server
// falls back to index.html for still works. Serve it with
// fs.Sub(Static, "static").
//
//go:embed static
var Static embed.FS
