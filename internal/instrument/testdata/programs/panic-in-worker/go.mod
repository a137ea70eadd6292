module example.com/panic-in-worker

go 1.22
