module example.com/loopvar-go121

go 1.21
