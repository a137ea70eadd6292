module example.com/multiline

go 1.22
