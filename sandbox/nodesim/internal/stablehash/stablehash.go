// Package stablehash gives the simulator its stable pseudo-random numbers:
// the same string always hashes to the same value, in every process, so
// that simulated addresses, delays and outputs are reproducible.
package stablehash

// Of hashes s (an FNV-1a variant).
func Of(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
