// Package migrations holds kubelab's SQLite schema as goose SQL migrations.
//
// Each file is named NNNNN_description.sql and carries a "-- +goose Up" and a
// "-- +goose Down" section. The files are embedded into the binary, so a
// server applies its own schema at start-up without reading anything from
// disk; see store.Open, which runs them with goose's Provider API.
//
// Conventions used by every migration:
//   - timestamps are INTEGER unix milliseconds (UTC); NULL means "never";
//   - booleans are INTEGER 0/1 guarded by CHECK constraints;
//   - rows that belong to a user reference users(id) and are deleted with it.
package migrations

import "embed"

// FS contains every *.sql migration in this directory, at the root of the
// file system, in the layout goose.NewProvider expects.
//
//go:embed *.sql
var FS embed.FS
