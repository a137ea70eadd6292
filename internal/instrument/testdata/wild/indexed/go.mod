module example.com/indexed

go 1.22
