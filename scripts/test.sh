#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; CI runs exactly this).
# Format and lint checks, then every test: unit tests plus the integration tests that bring up
# the test LAN in network namespaces and a PostgreSQL server (those need root); the Windows
# agent's build and its tests under Wine (scripts/windows-agent.sh); then the ledger's suite
# again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The PostgreSQL server the tests use (Debian's, a throwaway cluster on 127.0.0.1); stopped and
# removed when the tests end.
echo "== PostgreSQL for the tests"
bash scripts/postgres.sh start
trap 'bash scripts/postgres.sh stop' EXIT

echo "== cargo nextest run"
cargo nextest run --workspace --locked --profile ci

echo "== the Windows agent: built with Debian's toolchain, tested under Wine"
bash scripts/windows-agent.sh

# The ledger's store-independent suite again on PostgreSQL: every integration test of
# daicho-ledger whose ledger comes from fixtures::temp_ledger (backup and clock are SQLite files).
echo "== cargo nextest run (the ledger on PostgreSQL)"
DAICHO_LEDGER_STORE=postgres cargo nextest run -p daicho-ledger --locked --profile ci \
  -E 'kind(test) - binary(backup) - binary(clock) - binary(postgres)'
