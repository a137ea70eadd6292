module example.com/ctxloop

go 1.22
