#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; CI runs exactly this).
# Format and lint checks, then every test: unit tests plus the integration tests that bring up
# the test LAN in network namespaces (those need root); then the Windows agent's build and its
# tests under Wine (scripts/windows-agent.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo nextest run"
cargo nextest run --workspace --locked --profile ci

echo "== the Windows agent: built with Debian's toolchain, tested under Wine"
bash scripts/windows-agent.sh
