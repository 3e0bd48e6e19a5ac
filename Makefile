# The project's checks, the same locally and in CI.
GO ?= go
STATICCHECK_VERSION ?= v0.8.2

.PHONY: test lint bench demo fmt

test:
	$(GO) test -race -count=1 ./...

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

demo:
	$(GO) run ./cmd/mind demo

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

fmt:
	gofmt -w .
