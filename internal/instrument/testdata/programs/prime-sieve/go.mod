module example.com/prime-sieve

go 1.22
