// Command pause is the process that holds each pod sandbox's namespaces.
// The usual sandbox image cannot be pulled on a machine that reaches no
// image registry, so the cluster helper packs this program into a local
// image. It sleeps until SIGINT or SIGTERM and, as PID 1 of the pod,
// reaps any orphaned child that is reparented to it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)

	for received := range signals {
		if received != syscall.SIGCHLD {
			os.Exit(0)
		}
		reapChildren()
	}
}

func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
