module example.com/oddforms

go 1.22
