module example.com/stmtforms

go 1.22
