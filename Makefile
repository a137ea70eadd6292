# handoff: the two commands a new machine needs are in README.md:
#   go run ./cmd/handoff serve     (the main job)
#   make test                      (vet, then every test under the race detector)

GO ?= go
BENCHCOUNT ?= 6

.PHONY: test bench bench-all build fuzz clean

test:
	$(GO) vet ./...
	$(GO) test -race ./...

# The tracer's benchmarks pair bare Go with the traced code and with bare Go
# under runtime/trace; the summary prints their ratios, one line per pair.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./tracer | tee bench.out
	@echo
	@$(GO) run ./internal/benchsummary < bench.out

# Every package's benchmarks (rendering, import, web), with the summary.
bench-all:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./... | tee bench.out
	@echo
	@$(GO) run ./internal/benchsummary < bench.out

build:
	$(GO) build -o handoff ./cmd/handoff

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s ./tracer
	$(GO) test -run '^$$' -fuzz FuzzLineDecoder -fuzztime 30s ./tracer

clean:
	rm -f handoff bench.out
