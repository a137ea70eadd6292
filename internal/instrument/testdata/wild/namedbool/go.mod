module example.com/namedbool

go 1.22
