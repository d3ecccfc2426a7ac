package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// servePprof answers the Go profiler's /debug/pprof/ pages on addr (serve
// --pprof-addr, for benchmarks on this machine: bench/load -cpuprofile).
func servePprof(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(l, mux) }()
	return nil
}
