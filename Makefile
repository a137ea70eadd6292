# handoff: the two commands a new machine needs are in README.md:
#   go run ./cmd/handoff serve     (the main job)
#   make test                      (vet, every test under the race detector, each fuzz target for 8 s)

GO ?= go
BENCHCOUNT ?= 6
FUZZTIME ?= 30s

.PHONY: test bench bench-all build fuzz clean

test:
	$(GO) vet ./...
	$(GO) test -race ./...
	$(MAKE) fuzz FUZZTIME=8s

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

# Every fuzz target, FUZZTIME each (make test runs them briefly; their
# corpora of failures land in each package's testdata/fuzz).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./tracer
	$(GO) test -run '^$$' -fuzz '^FuzzLineDecoder$$' -fuzztime $(FUZZTIME) ./tracer
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./tracer/exectrace
	$(GO) test -run '^$$' -fuzz '^FuzzWriter$$' -fuzztime $(FUZZTIME) ./tracer/traceevent
	$(GO) test -run '^$$' -fuzz '^FuzzRecords$$' -fuzztime $(FUZZTIME) ./internal/instrument/hooks
	$(GO) test -run '^$$' -fuzz '^FuzzViewerRequest$$' -fuzztime $(FUZZTIME) ./web
	$(GO) test -run '^$$' -fuzz '^FuzzIngest$$' -fuzztime $(FUZZTIME) ./web

clean:
	rm -f handoff bench.out
