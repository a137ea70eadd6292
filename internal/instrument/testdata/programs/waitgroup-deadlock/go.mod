module example.com/waitgroup-deadlock

go 1.22
