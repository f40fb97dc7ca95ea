# gonnect: a Kafka Connect worker in Go with a native Cassandra sink.
# `make run` and `make test` do everything on a fresh machine; see README.md.

SHELL      := /bin/bash
GO         ?= go
BIN        := bin/gonnect
STACK      := stack/stack.sh
COMMIT     := $(shell git rev-parse --short=16 HEAD 2>/dev/null || echo unknown)
LDFLAGS    := -X github.com/gonnect/gonnect/internal/version.Commit=$(COMMIT)
WORKER_URL ?= http://127.0.0.1:8083
# Integration tests share one set of servers; run packages one at a time.
ITEST_FLAGS ?= -race -count=1 -p 1 -timeout 45m

.PHONY: all build run test test-faults unit integration vet fuzz stack-up stack-down stack-status stack-secured-start worker-up worker-down demo bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gonnect

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	$(GO) vet -tags faults ./e2e/faults/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags integration ./...
	$(GO) run $(STATICCHECK) -tags faults ./e2e/faults/

unit:
	$(GO) test -race -count=1 -shuffle=on ./...

integration: stack-secured-start stack-up-reference build
	$(GO) test -tags integration $(ITEST_FLAGS) -run '^TestIntegration' ./...

# Go native fuzzing, bounded: each target for FUZZTIME (seed corpora in
# each package's testdata/fuzz/; a failing input is written there too).
# Needs no server. The seeds alone also run in every `go test`.
FUZZTIME ?= 15s
FUZZ_TARGETS := \
	./restapi:FuzzDecodeRequestBodies \
	./schemas/converters:FuzzAvroDecode \
	./schemas/converters:FuzzAvroSchema \
	./connectors/cassandra:FuzzMappingSettings \
	./connectors/cassandra:FuzzToCQL \
	./connectors/connectorconfig:FuzzConnectorConfig

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -parallel 2 $$pkg; \
	done

# Everything: static checks, unit tests, then integration tests against the
# real local servers (started if not running). The secured Cassandra starts
# first, in the background: the tests that use it wait for it.
test: stack-secured-start vet unit integration

# The fault suite (e2e/faults, build tag faults): workers killed, brokers
# stopped, networks cut and slowed, REST races, each proving no record lost.
# It starts the servers it needs (the suite's own broker through stack.sh).
# The fuzz pass runs first when this Makefile defines a fuzz target.
FAULTS_FLAGS ?= -count=1 -p 1 -timeout 35m
test-faults: stack-up build
	@if grep -q '^fuzz:' $(firstword $(MAKEFILE_LIST)); then $(MAKE) fuzz; fi
	$(GO) test -tags faults $(FAULTS_FLAGS) -v -run '^TestFaults' ./e2e/faults/

# ---- local servers (Kafka, Cassandra, Schema Registry, reference Connect) ----
stack-up:
	@REFERENCE=$(REFERENCE) bash $(STACK) up

stack-up-reference:
	@REFERENCE=1 bash $(STACK) up

stack-down:
	@bash $(STACK) down

stack-status:
	@bash $(STACK) status

# The secured Cassandra (TLS with client certificates, PasswordAuthenticator),
# launched without waiting for it.
stack-secured-start:
	@bash $(STACK) cassandra-secured start
# ---- end of local servers ----

worker-up: build
	@bash demo/worker.sh up

worker-down:
	@bash demo/worker.sh down

# The demo: servers, a worker on :8083 and the demo pipeline end to end.
run: stack-up worker-up
	@bash demo/demo.sh

bench:
	@N=$(N) SCENARIO=$(SCENARIO) SECURITY=$(SECURITY) bash bench/bench.sh

clean:
	rm -rf bin
