module example.com/worker-pool

go 1.22
