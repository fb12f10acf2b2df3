# tf-freeze: `make serve` builds and serves the page, `make test` runs every test.
# Both install what they need first (see scripts/setup.sh).

.PHONY: setup setup-web build web serve test test-rust test-browser lint bench fixtures clean

setup:
	bash scripts/setup.sh rust

setup-web:
	bash scripts/setup.sh web

build: setup
	cargo build --release --bin freeze_graph

web: setup-web
	bash scripts/build-web.sh

serve: web
	bash scripts/serve.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

test-rust: setup
	cargo test

test-browser: web
	npm test

test: lint test-rust test-browser

bench: build
	bash scripts/bench.sh

# Regenerates tests/fixtures with real TensorFlow (run by hand; see tests/fixtures/README.md).
fixtures:
	TF_USE_LEGACY_KERAS=1 .venv/bin/python tests/fixtures/generate.py

clean:
	cargo clean
	rm -rf www/dist node_modules
