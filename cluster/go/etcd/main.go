// Command etcd runs the etcd server from its published server module.
// The etcd repository's own main module pins its siblings with replace
// directives, so it cannot be built by module path. This wrapper can.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
