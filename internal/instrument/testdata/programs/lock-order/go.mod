module example.com/lock-order

go 1.22
