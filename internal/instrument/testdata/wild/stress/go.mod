module example.com/stress

go 1.22
