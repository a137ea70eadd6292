module example.com/fan-in-default

go 1.22
