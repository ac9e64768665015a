#!/usr/bin/env bash
# Fuzzes Cairn's parsers of untrusted files with libFuzzer + AddressSanitizer.
#
# Usage: scripts/fuzz.sh SECONDS [TARGET...]
#   SECONDS  time per target (-max_total_time); 30 is the CI smoke run, 600 the long run
#   TARGET   safetensors, zip, pickle, yaml (default: all four, one after the other)
# Environment: FUZZ_JOBS (default 1) runs that many fuzzing processes per target (-fork=N).
#
# How it builds: SwiftPM compiles the library modules (TensorCore … Training and their packages)
# into .build-fuzz with `-sanitize=fuzzer,address` (coverage instrumentation + ASan, no link), in
# the debug configuration so bounds and overflow checks stay on (plus -O for speed, and
# -enable-testing so the harnesses can reach internal types). Each harness Fuzz/<Target>/main.swift
# is then linked by swiftc with `-sanitize=fuzzer,address` against those object files; libFuzzer
# supplies main(). SwiftPM never sees Fuzz/ (it only builds declared targets).
#
# Corpora live in .build-fuzz/corpus/<target> (seeded from Fuzz/<Target>/seeds, the spec fixtures and
# Tests/Fixtures). Crashing, leaking, out-of-memory and slow inputs are copied to
# Tests/Fixtures/fuzz-regressions/<target>/, where the FuzzRegressionTests replay them; the script
# exits 1 when any target found one.
set -euo pipefail

usage() { echo "usage: $0 SECONDS [safetensors|zip|pickle|yaml ...]" >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || usage
seconds=$1; shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(safetensors zip pickle yaml)

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scratch=$root/.build-fuzz

harness_dir() { # target -> Fuzz/ folder
    case $1 in
        safetensors) echo Safetensors ;; zip) echo Zip ;; pickle) echo Pickle ;; yaml) echo YAML ;;
        *) echo "unknown target '$1'" >&2; usage ;;
    esac
}
for t in "${targets[@]}"; do harness_dir "$t" > /dev/null; done

echo "== building the instrumented modules (.build-fuzz)"
mkdir -p "$scratch"
if ! swift build --scratch-path "$scratch" --target Training \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -O > "$scratch/build.log" 2>&1; then
    grep -E 'error:' "$scratch/build.log" | head -n 20 >&2 || tail -n 20 "$scratch/build.log" >&2
    echo "fuzz.sh: the instrumented build failed (log: $scratch/build.log)" >&2
    exit 2
fi
tail -n 1 "$scratch/build.log"
triple_dir=$(ls -d "$scratch"/*-linux-gnu | head -n 1)
debug=$triple_dir/debug

# The module-map and include flags SwiftPM used for Training, so the harness can import the same modules.
mapfile -t tokens < <(grep -m1 '"-module-name","Training"' "$scratch/debug.yaml" | sed 's/.*args: \[//; s/\]$//' |
                      tr ',' '\n' | sed 's/^"//; s/"$//')
import_flags=(-I "$debug/Modules")
for (( i = 0; i < ${#tokens[@]}; i++ )); do
    case ${tokens[$i]} in
        -Xcc) import_flags+=(-Xcc "${tokens[$((i + 1))]}"); i=$(( i + 1 )) ;;
        -I/*) import_flags+=("${tokens[$i]}") ;;
    esac
done
# Every object of the library modules and their dependencies (not tests or executables).
mapfile -t objects < <(find "$debug" -path '*.build/*' -name '*.o' \
    | grep -Ev '/(cairn|Cairn[A-Za-z]*|[A-Za-z]*Tests|ArgumentParser[A-Za-z]*)\.build/' | sort)

bin=$scratch/fuzzers
mkdir -p "$bin"
status=0
for t in "${targets[@]}"; do
    h=$(harness_dir "$t")
    exe=$bin/fuzz-$t
    if [[ ! -x $exe || Fuzz/$h/main.swift -nt $exe || -n $(find "$debug" -name '*.o' -newer "$exe" -print -quit) ]]; then
        echo "== linking $exe"
        rm -f "$exe"
        swiftc -parse-as-library -sanitize=fuzzer,address -O -enable-testing -module-name "Fuzz$h" \
            "${import_flags[@]}" "Fuzz/$h/main.swift" "${objects[@]}" \
            -lopenblas -lz -lpng -ljpeg -lstdc++ -o "$exe" 2>&1 | grep -v 'Cannot export local symbol' || true
        [[ -x $exe ]] || { echo "fuzz.sh: linking $exe failed" >&2; exit 2; }
    fi

    corpus=$scratch/corpus/$t
    artifacts=$scratch/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    seed_dirs=("Fuzz/$h/seeds")
    case $t in
        safetensors) seed_dirs+=(/work/shared/specs/fixtures/safetensors Tests/Fixtures) ;;
        zip) seed_dirs+=(/work/shared/specs/fixtures/pth) ;;
    esac
    for d in "${seed_dirs[@]}"; do
        [[ -d $d ]] || continue
        find "$d" -type f -size -1000k ! -name '*.md' ! -name '*.py' -print0 |
            while IFS= read -r -d '' f; do cp -n "$f" "$corpus/seed-$(cksum < "$f" | cut -d' ' -f1)" ; done
    done
    regressions=Tests/Fixtures/fuzz-regressions/$t
    dict=(); for d in Fuzz/$h/*.dict; do [[ -f $d ]] && dict=(-dict="$d"); done

    echo "== fuzzing $t for ${seconds}s (corpus $(ls "$corpus" | wc -l) files)"
    log=$scratch/fuzz-$t.log
    # Leak checking stays on: a parser that leaks on hostile input is a bug too.
    set +e
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
        "$exe" "$corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -timeout=5 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        ${FUZZ_JOBS:+-fork=$FUZZ_JOBS -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1} > "$log" 2>&1
    rc=$?
    set -e
    grep -E '^(stat::|#[0-9]+.*DONE)|^Done [0-9]+ runs' "$log" || tail -n 5 "$log"
    found=0
    for a in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/oom-* "$artifacts"/timeout-* "$artifacts"/slow-unit-*; do
        [[ -f $a ]] || continue
        mkdir -p "$regressions"
        cp "$a" "$regressions/"
        rm -f "$a"
        found=$(( found + 1 ))
    done
    if (( rc != 0 || found > 0 )); then
        echo "!! $t: libFuzzer exited $rc, $found new input(s) in $regressions (log: $log)"
        grep -m 20 -E 'ERROR|Fatal error|SUMMARY|==[0-9]+==' "$log" || true
        status=1
    else
        echo "   $t: no crash"
    fi
done
exit $status
