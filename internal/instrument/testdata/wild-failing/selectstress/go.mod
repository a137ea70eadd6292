module example.com/selectstress

go 1.22
