module example.com/nochan

go 1.22
