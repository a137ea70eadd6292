module example.com/pipeline-leak

go 1.22
