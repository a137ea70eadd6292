//go:build handoff_never_set

package main

// This file is not part of any build: it would not even compile.
func platformStage() string { return <-undefinedChannel }
