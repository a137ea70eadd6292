module example.com/selftrace

go 1.22
