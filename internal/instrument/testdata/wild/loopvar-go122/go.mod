module example.com/loopvar-go122

go 1.22
