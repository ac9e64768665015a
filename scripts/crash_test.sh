#!/usr/bin/env bash
# Crash test: trains a small run with `cairn`, SIGKILLs it at random moments (half of them right
# while a checkpoint is being written or an old one deleted), checks that every checkpoint left
# behind verifies, resumes (possibly killed again) until the run finishes, and compares the final
# weights, optimizer state and metric logs byte for byte with an uninterrupted reference run.
#
# Usage: scripts/crash_test.sh N [SEED]
#   N      trials (each one is a whole run, interrupted 1 to 3 times); CI uses N=10
#   SEED   seed of the kill schedule (default: the current time); printed so a failure can be replayed
# Environment:
#   CAIRN            the cairn binary (default: .build/release/cairn, else .build/debug/cairn)
#   CRASH_TEST_DIR   work folder (default: a fresh mktemp folder, removed when every trial passed)
#   CRASH_TEST_KEEP  1 keeps the work folder even on success
# Prints one line per trial and `survived X/N`; exits 0 only when every trial survived.
set -u

usage() { echo "usage: $0 N [SEED]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 && $1 =~ ^[0-9]+$ && $1 -ge 1 ]] || usage
trials=$1
seed=${2:-$(( $(date +%s) % 1000000 ))}
[[ $seed =~ ^[0-9]+$ ]] || usage
RANDOM=$seed

root=$(cd "$(dirname "$0")/.." && pwd)
cairn=${CAIRN:-}
if [[ -z $cairn ]]; then
    for c in "$root/.build/release/cairn" "$root/.build/debug/cairn"; do
        [[ -x $c ]] && { cairn=$c; break; }
    done
fi
[[ -n $cairn && -x $cairn ]] || { echo "crash_test: no cairn binary (build it, or set CAIRN)" >&2; exit 2; }

work=${CRASH_TEST_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/cairn-crash.XXXXXX")}
mkdir -p "$work" || exit 2
shopt -s nullglob

# Deterministic data: 3 separable-ish classes, 4 features (a CSV, so no image decoding noise).
make_csv() { # rows srand-seed
    awk -v n="$1" -v s="$2" 'BEGIN { srand(s); print "f0,f1,f2,f3,label"
        for (i = 0; i < n; i++) { c = i % 3
            printf "%.4f,%.4f,%.4f,%.4f,%d\n", c + rand(), rand() * 2 - c, rand(), c * 0.5 + rand(), c } }'
}
make_csv 180 7 > "$work/train.csv"
make_csv 30 8 > "$work/val.csv"
# Saves every 4 steps and keep_last 2, so saves, renames and deletions are frequent; shuffle and
# dropout make the result depend on the restored RNG streams and loader position.
cat > "$work/config.yaml" <<EOF
seed: 11
model:
  input: [4]
  layers:
    - linear: {out: 16}
    - relu
    - dropout: 0.25
    - linear: {out: 3}
data:
  train: {csv: $work/train.csv, label_column: label}
  val: {csv: $work/val.csv, label_column: label}
  batch_size: 8
  shuffle: true
optimizer: {name: adam, lr: 0.01}
scheduler: {name: step, step_size: 1, gamma: 0.7}
training: {epochs: 3, log_every_n_steps: 1}
checkpoint: {every_n_steps: 4, keep_last: 2, keep_best: {monitor: val_loss, k: 1}}
EOF

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rand() { echo $(( (RANDOM * 32768 + RANDOM) % $1 )); }   # uniform in 0 ..< $1
sleep_ms() { sleep "$(printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )))"; }

# Visible checkpoint directories (hidden .tmp-/.trash- ones are unfinished saves or deletions).
checkpoints() { local d; for d in "$1"/checkpoints/*/; do d=${d%/}; echo "${d##*/}"; done; }
latest() { checkpoints "$1" | tail -n 1; }   # names are ckpt-EEEE-SSSSSS, so the last sorts newest

echo "crash_test: $trials trials, seed $seed, cairn $cairn, work $work"
ref=$work/reference
start=$(now_ms)
if ! "$cairn" train "$work/config.yaml" --run-dir "$ref" --quiet > "$work/reference.log" 2>&1; then
    echo "crash_test: the reference run failed:" >&2; cat "$work/reference.log" >&2; exit 2
fi
ref_ms=$(( $(now_ms) - start ))
ref_last=$(latest "$ref")
[[ -n $ref_last ]] || { echo "crash_test: the reference run left no checkpoint" >&2; exit 2; }
echo "reference: ${ref_ms} ms, $(checkpoints "$ref" | wc -l) checkpoints kept, last $ref_last"

# Kills `pid` (a cairn process writing into run dir $2) and leaves a description in $how. Half the
# kills come at a uniformly random time; the others right at a checkpoint event: a save's temp dir
# appearing (files about to be written), its temp dir vanishing (just renamed into place, parent not
# yet fsynced, old checkpoints not yet pruned) or a trash dir appearing (a deletion in progress),
# optionally 1-30 ms later.
how=""
kill_it() {
    local pid=$1 ck=$2/checkpoints f=""
    if (( RANDOM % 2 )); then
        local ms; ms=$(rand $(( ref_ms + 1 )))
        how="at ${ms}ms"
        sleep_ms "$ms"
    else
        local event=tmp-appears delay=0 wait_ms
        case $(( RANDOM % 4 )) in 2) event=tmp-renamed ;; 3) event=trash-appears ;; esac
        (( RANDOM % 2 )) && delay=$(( 1 + $(rand 30) ))
        # Skip ahead a random part of the run so the kills spread over all saves.
        wait_ms=$(rand $(( ref_ms * 3 / 4 + 1 )))
        sleep_ms "$wait_ms"
        how="on $event after ${wait_ms}ms+${delay}ms"
        local pattern=.tmp-; [[ $event == trash-appears ]] && pattern=.trash-
        while kill -0 "$pid" 2>/dev/null; do
            for f in "$ck"/$pattern*; do break 2; done
        done
        if [[ $event == tmp-renamed ]]; then
            while kill -0 "$pid" 2>/dev/null && [[ -e $f ]]; do :; done
        fi
        (( delay > 0 )) && sleep_ms "$delay"
    fi
    kill -9 "$pid" 2>/dev/null
}

survived=0
for (( t = 1; t <= trials; t++ )); do
    dir=$work/trial-$t
    rm -rf "$dir"
    t0=$(now_ms)
    kills=0 runs=0 failure="" notes=()
    while :; do
        runs=$(( runs + 1 ))
        if (( runs > 12 )); then failure="did not finish after $runs runs"; break; fi
        if [[ -f $dir/config.yaml && -n $(latest "$dir") ]]; then
            cmd=(resume "$dir" --quiet)
        else
            # Killed before the first checkpoint: start over, as a user would.
            cmd=(train "$work/config.yaml" --run-dir "$dir" --quiet)
        fi
        log=$dir.run-$runs.log
        # The first run is always killed; later ones with probability 1/2, at most 3 kills a trial.
        if (( kills == 0 || (kills < 3 && RANDOM % 2 == 0) )); then
            "$cairn" "${cmd[@]}" > "$log" 2>&1 &
            pid=$!
            kill_it "$pid" "$dir"
            { wait "$pid"; rc=$?; } 2>/dev/null   # no "Killed" job notice
        else
            how="not killed"
            "$cairn" "${cmd[@]}" > "$log" 2>&1; rc=$?
        fi
        if (( rc == 137 )); then
            kills=$(( kills + 1 ))
            notes+=("${cmd[0]} killed $how")
            # Every checkpoint a kill leaves visible must be complete and intact.
            for c in $(checkpoints "$dir"); do
                if ! "$cairn" verify "$dir/checkpoints/$c" > "$dir.verify.log" 2>&1; then
                    failure="checkpoint $c does not verify after a kill: $(head -c 300 "$dir.verify.log")"
                    break 2
                fi
            done
            continue
        fi
        if (( rc != 0 )); then
            failure="'cairn ${cmd[0]}' exited $rc: $(tail -c 400 "$log")"; break
        fi
        notes+=("${cmd[0]} finished ($how)")
        if (( kills == 0 && runs < 4 )); then
            # It ended before the kill came: a trial must be interrupted at least once, so start over.
            rm -rf "$dir" "$dir".run-*.log
            continue
        fi
        break
    done
    if [[ -z $failure ]]; then
        # The interrupted run must end exactly where the reference ended.
        # Retention keeps what the reference kept, plus (by design) the checkpoints a run resumed from.
        resumed_from=$(cat "$dir".run-*.log | sed -n 's|^resumed from .*/||p' | sort -u)
        expected=$( (checkpoints "$ref"; echo "$resumed_from") | sed '/^$/d' | sort -u)
        if [[ "$(checkpoints "$dir")" != "$expected" ]]; then
            failure="checkpoints kept: [$(checkpoints "$dir" | tr '\n' ' ')] vs reference + resumed-from [$(echo "$expected" | tr '\n' ' ')]"
        else
            for c in $(checkpoints "$ref"); do
                for f in model.safetensors optimizer.safetensors optimizer.json; do
                    cmp -s "$ref/checkpoints/$c/$f" "$dir/checkpoints/$c/$f" || { failure="$c/$f differs from the reference"; break 2; }
                done
            done
        fi
        for f in logs/metrics.jsonl logs/metrics.csv; do
            [[ -z $failure ]] && ! cmp -s "$ref/$f" "$dir/$f" && failure="$f differs from the reference"
        done
        leftovers=("$dir"/checkpoints/.tmp-* "$dir"/checkpoints/.trash-*)
        [[ -z $failure && ${#leftovers[@]} -gt 0 ]] && failure="left behind: ${leftovers[*]##*/}"
    fi
    ms=$(( $(now_ms) - t0 ))
    if [[ -z $failure ]]; then
        survived=$(( survived + 1 ))
        echo "trial $t: ok in ${ms} ms, $kills kills: $(IFS=';'; echo "${notes[*]}")"
        rm -rf "$dir" "$dir".*
    else
        echo "trial $t: FAILED in ${ms} ms after $kills kills ($(IFS=';'; echo "${notes[*]}")): $failure"
    fi
done

echo "survived $survived/$trials"
if (( survived == trials )); then
    [[ ${CRASH_TEST_KEEP:-0} == 1 || -n ${CRASH_TEST_DIR:-} ]] || rm -rf "$work"
    exit 0
fi
echo "crash_test: kept $work for inspection (replay with seed $seed)" >&2
exit 1
