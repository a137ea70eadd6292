package main

import pool "example.com/layout/internal/workers"

func feed(p *pool.Pool, jobs ...int) {
	for _, j := range jobs {
		p.Submit(j)
	}
}
