module example.com/early-exit

go 1.22
