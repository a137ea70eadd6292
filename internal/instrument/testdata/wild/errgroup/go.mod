module example.com/errgroup

go 1.22
