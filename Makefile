# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   - installs what is needed, then records (or, where it cannot, imports) a capture and analyzes it
#   make test   - installs what is needed, then runs every test (what .ci/run calls)
.PHONY: readme setup deps-system deps-node deps-kernel demo test test-unit test-e2e typecheck bench clean

NODE_STAMP := node_modules/.package-lock.json

setup: deps-system deps-node deps-kernel

# Debian tools the live source and the end-to-end tests use (chromium: the report's browser tests, driven by
# playwright-core; no browser is ever downloaded; script: a pty for the status-line tests). Installed only when missing and we are root;
# without them those tests skip and say why.
SYSTEM_TOOLS := bpftrace:bpftrace bpftool:bpftool ethtool:ethtool nft:nftables ip:iproute2 curl:curl nsenter:util-linux tcpdump:tcpdump chromium:chromium tshark:tshark script:bsdutils
deps-system:
	@missing=""; for t in $(SYSTEM_TOOLS); do cmd=$${t%%:*}; pkg=$${t##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null)) || \
	     echo "warning: could not install$$missing; tests that need them will skip"; \
	  else echo "warning: missing$$missing (not root or no apt); tests that need them will skip"; fi; \
	fi

deps-node: $(NODE_STAMP) dist/cli.js

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

dist/cli.js: $(NODE_STAMP) $(wildcard src/*.ts src/*/*.ts) tsconfig.json
	npx tsc -p tsconfig.json
	node bin/link-local.mjs

# tracefs for the live tracepoint source (the helper `record --source tracepoint` uses). Not root, or a kernel
# without tracefs: a warning, and the tests that need it skip naming the reason.
deps-kernel: dist/cli.js
	@node bin/ensure-tracefs.mjs

demo: setup
	@bash bin/demo.sh

# All tests: the tests type-checked, then both halves side by side (test/run-all.mjs; `make test-unit` /
# `make test-e2e` run one). Ends with one line counting skipped tests and their reasons, and the flag census.
test: setup typecheck
	node test/run-all.mjs

test-unit: setup typecheck
	npx vitest run --project unit

test-e2e: setup typecheck
	npx vitest run --project e2e

# The README's command reference (flags and exit codes), rewritten from each command's --help.
readme: deps-node
	SKBTAPE_WRITE_README=1 npx vitest run test/readme-reference.test.ts

typecheck: deps-node
	npx tsc -p test/tsconfig.json

bench: setup
	node bench/ingest.mjs

clean:
	rm -rf dist node_modules tmp
