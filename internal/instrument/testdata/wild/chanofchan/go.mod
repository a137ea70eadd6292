module example.com/chanofchan

go 1.22
