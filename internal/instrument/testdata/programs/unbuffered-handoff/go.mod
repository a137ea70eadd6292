module example.com/unbuffered-handoff

go 1.22
