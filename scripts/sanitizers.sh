#!/bin/sh
# Runs the whole test suite under AddressSanitizer (with LeakSanitizer) and/or ThreadSanitizer.
# Usage: scripts/sanitizers.sh [address] [thread]      (default: both)
# Each sanitizer builds into its own scratch directory (.build-san-<name>). Leaks inside the
# toolchain's Foundation are suppressed (scripts/lsan.supp); everything else fails the run.
set -eu
cd "$(dirname "$0")/.."
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0}"
status=0
for s in "${@:-address thread}"; do
  for name in $s; do
    echo "== $name sanitizer: build"
    swift build --build-tests --sanitize="$name" --scratch-path ".build-san-$name"
    echo "== $name sanitizer: test"
    swift test --skip-build --sanitize="$name" --scratch-path ".build-san-$name" || status=1
  done
done
exit $status
