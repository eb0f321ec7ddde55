#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer, AddressSanitizer) of every parser that reads
# what a device or an agent sends: the targets of crates/daicho-fuzz, one after the other.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]     default: 600 s per target, every target
#
# Needs the nightly toolchain (rustup) and cargo-fuzz (installed here from crates.io if missing).
# Each target starts from its committed corpus (fuzz/corpus/TARGET), the stored service replies
# (crates/daicho-fingerprint/fuzz/corpus) and inputs written by daicho's own writers
# (crates/daicho-fuzz/examples/seeds.rs), runs for N seconds, and the corpus is then minimised
# in place (cargo fuzz cmin) so that it can be committed; the ordinary tests replay it
# (crates/daicho-fuzz/tests/corpus.rs). A crash is copied to fuzz/regressions/TARGET/ (replayed
# by the same test, so it fails until the bug is fixed) and the script exits 1.
# The figures of each run (executions, coverage, corpus, crashes) are printed at the end and
# kept in target/fuzz-figures.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=600
TARGETS=()
while (($#)); do
    case $1 in
    --seconds)
        SECONDS_PER_TARGET=${2:?--seconds needs a value}
        shift 2
        ;;
    -h | --help)
        sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        TARGETS+=("$1")
        shift
        ;;
    esac
done
ALL=(banners tls smb_ntlm dicom snmp lan_packets report ledger_import)
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")

rustup toolchain list | grep -q '^nightly' || {
    echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 2
}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seed inputs that need the product's writers.
cargo run --quiet --locked -p daicho-fuzz --example seeds -- fuzz/seeds

seeds_of() {
    local fp=crates/daicho-fingerprint/fuzz/corpus
    case $1 in
    banners) echo "$fp/greeting $fp/http $fp/mssql $fp/mysql $fp/rdp $fp/ssh $fp/telnet" ;;
    tls) echo "$fp/tls" ;;
    smb_ntlm) echo "$fp/smb $fp/smb1 $fp/ntlm" ;;
    dicom) echo "$fp/dicom" ;;
    snmp) echo "$fp/snmp" ;;
    lan_packets | report | ledger_import) echo "fuzz/seeds/$1" ;;
    *)
        echo "fuzz.sh: unknown target $1 (targets: ${ALL[*]})" >&2
        exit 2
        ;;
    esac
}

max_len_of() {
    case $1 in
    ledger_import | report) echo 65536 ;;
    *) echo 8192 ;;
    esac
}

# One build of every target (cargo fuzz build takes one target or all); the runs below use the
# built binaries, so an edit to the tree meanwhile changes nothing mid-run.
cargo +nightly fuzz build -O --debug-assertions
BIN_DIR=fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release

FIGURES=target/fuzz-figures.tsv
mkdir -p target
printf 'target\tseconds\texecs\texecs_per_s\tcov\tft\tcorpus_before\tcorpus_after\tcrashes\n' >"$FIGURES"
failed=0
for t in "${TARGETS[@]}"; do
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    before=$(find "$corpus" -type f | wc -l)
    log=target/fuzz-$t.log
    echo "== fuzz $t for ${SECONDS_PER_TARGET}s (corpus $before)"
    # shellcheck disable=SC2046 # the seed directories are words
    set +e
    "$BIN_DIR/$t" "$corpus" $(seeds_of "$t") -artifact_prefix="fuzz/artifacts/$t/" \
        -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len_of "$t")" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    crashes=0
    for a in fuzz/artifacts/"$t"/*; do
        [[ -f $a ]] || continue
        mkdir -p "fuzz/regressions/$t"
        cp "$a" "fuzz/regressions/$t/"
        crashes=$((crashes + 1))
    done
    if ((status != 0 || crashes)); then
        echo "fuzz.sh: $t stopped on a crash (exit $status); see $log, input(s) in fuzz/regressions/$t" >&2
        failed=1
    fi
    # Minimise: merge into a fresh directory, which then replaces the corpus.
    fresh=$(mktemp -d)
    if "$BIN_DIR/$t" -merge=1 "$fresh" "$corpus" -max_len="$(max_len_of "$t")" \
        -rss_limit_mb=2048 -timeout=10 >"target/fuzz-$t-cmin.log" 2>&1; then
        rm -rf "$corpus"
        mv "$fresh" "$corpus"
    else
        echo "fuzz.sh: minimising $t failed (target/fuzz-$t-cmin.log); corpus kept as it is" >&2
        rm -rf "$fresh"
    fi
    after=$(find "$corpus" -type f | wc -l)
    # (`|| true`: a run that died early prints no statistics)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$before" "$after" "$crashes" >>"$FIGURES"
done
echo "== figures ($FIGURES)"
column -t -s $'\t' "$FIGURES"
exit "$failed"
