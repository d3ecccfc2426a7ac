// Command etcd is etcd's own server main, built from the go.etcd.io/etcd
// module version kubelab's go.mod names, so that bench/peers can give a
// peer cluster the same etcd the embedded sandbox runs without
// downloading a release:
//
//	go build -o /tmp/peers-bin/etcd ./bench/peers/etcd
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
