#!/usr/bin/env bash
# A short fuzz campaign for CI (`.ci/run` calls this): every target for ~20 s (override with
# HOTLINT_FUZZ_SECONDS), starting from the committed seeds. Fails (exit 1) on the first crash and
# says how to reproduce it; the crashing input is left in fuzz/artifacts/<target>/.
#
# Needs cargo-fuzz (installed here when missing: about 2 minutes on 2 cores) and libFuzzer's
# nightly-only compiler flags, which RUSTC_BOOTSTRAP=1 unlocks on a stable toolchain — for these
# fuzz builds only, never for hotlint itself. The first build takes 10–15 minutes on 2 cores
# (fuzz/target is then reused); each later run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${HOTLINT_FUZZ_SECONDS:-20}"
targets=(source compare config baseline lock)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
cargo fuzz build

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    # Leak detection is off: the parse thread pool's threads may still be exiting when
    # LeakSanitizer looks, and it reports their thread-local destructor records (64 bytes from
    # `__cxa_thread_atexit_impl`), not a leak of hotlint's.
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1)
    if [[ $target == source || $target == compare ]]; then
        options+=(-dict=rust.dict)
    fi
    echo "fuzz: $target for ${seconds}s" >&2
    # New inputs go to corpus/<target> (not committed); seeds/<target> is only read.
    if ! cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- "${options[@]}"; then
        echo "fuzz: target \`$target\` crashed; the input is in fuzz/artifacts/$target/." >&2
        echo "fuzz: reproduce with: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $target artifacts/$target/<file>" >&2
        echo "fuzz: then add it to tests/hostile.rs as a regression test (see fuzz/README.md)." >&2
        exit 1
    fi
done
echo "fuzz: no crash in ${#targets[@]} targets × ${seconds}s" >&2
