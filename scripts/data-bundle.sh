#!/usr/bin/env bash
# Builds a signed data bundle from the data files in this repository (what the binaries compile
# in), for `daicho-collector data import`.
#
#   scripts/data-bundle.sh --key KEY [--serial N] [--out FILE]
#
# KEY is the publisher's signing key (`daicho-bundle keygen --out KEY`; the built-in trusted key's
# private half is held by the data publisher, never in the repository). The serial defaults to
# the UTC time as YYYYMMDDHHMM, so a later bundle always has a higher one. Each data set's date is
# the one its file states (the registry's `registry-date`, the EOL `snapshot`, a `# date:` line),
# else the date of the file's last commit.
set -euo pipefail
cd "$(dirname "$0")/.."

KEY=""
SERIAL=$(date -u +%Y%m%d%H%M)
OUT=target/daicho-data.bundle
while (($#)); do
    case $1 in
    --key) KEY=${2:?--key needs a file}; shift 2 ;;
    --serial) SERIAL=${2:?--serial needs a number}; shift 2 ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "data-bundle.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -n $KEY ]] || { echo "data-bundle.sh: --key KEY is required" >&2; exit 2; }

# The date a data file states, else its last commit's.
date_of() {
    local file=$1 stated
    stated=$(grep -m1 -oP '^(# registry-date: |snapshot\t|# date: )\K\d{4}-\d{2}-\d{2}' "$file" || true)
    if [[ -n $stated ]]; then
        echo "$stated"
    else
        git log -1 --format=%cs -- "$file"
    fi
}

# The source a data file names in a `# source:` line (empty when none).
source_of() {
    grep -m1 -oP '^# source: \K.*' "$1" || true
}

SETS=(
    "ieee-registry crates/daicho-oui/data/ieee-prefixes.tsv"
    "eol crates/daicho-eol/data/eol.tsv"
    "known-exploited crates/daicho-eol/data/known-exploited.tsv"
    "service-rules crates/daicho-fingerprint/data/service-rules.toml"
    "os-rules crates/daicho-fingerprint/data/os-rules.toml"
    "medical-vendors crates/daicho-fingerprint/data/medical-vendors.toml"
    "windows-updates crates/daicho-eol/data/windows-updates.tsv"
)
args=()
for set in "${SETS[@]}"; do
    read -r name file <<<"$set"
    args+=("$name=$file@$(date_of "$file")@$(source_of "$file")")
done
cargo build --quiet --locked -p daicho-bundle
mkdir -p "$(dirname "$OUT")"
target/debug/daicho-bundle build --key "$KEY" --serial "$SERIAL" --out "$OUT" "${args[@]}"
