// Package integration holds pacer's integration suite: it runs the real
// parts (Debian's prometheus and promtool, the demo workloads as real Go
// processes) on loopback and checks pacer's sources against them. Run it
// with `make test`, which installs what it needs; the files carry the
// "integration" build tag so `go test ./...` stays fast.
package integration
