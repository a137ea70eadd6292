//go:build linux || !linux

package main

func platformStage() string {
	stage := make(chan string, 1)
	stage <- "linux-or-not"
	return <-stage
}
