module example.com/deadlock-select

go 1.22
