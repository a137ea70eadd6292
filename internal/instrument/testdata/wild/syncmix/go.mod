module example.com/syncmix

go 1.22
