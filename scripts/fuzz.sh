#!/usr/bin/env bash
# Fuzzes every parser of outside input (the targets in fuzz/: multistatus, item,
# config) with cargo-fuzz and libFuzzer, SECONDS each (default 30):
#
#   scripts/fuzz.sh            # 30 s per target (CI runs this, from scripts/test.sh)
#   scripts/fuzz.sh 600        # the longer run: 10 minutes per target
#   scripts/fuzz.sh 60 item    # only some targets
#   scripts/fuzz.sh --build-only   # install cargo-fuzz and build the targets, run nothing
#
# Installs cargo-fuzz (a pinned version) when it is missing. cargo-fuzz needs
# nightly-only compiler flags (-Z sanitizer=address, sanitizer coverage);
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. FUZZ_SANITIZER=none
# builds without AddressSanitizer (faster; Rust code needs it little).
#
# Seeds come from fuzz/corpus/<target>/ (kept in git; fuzz/seeds.py writes
# them); what libFuzzer finds on top goes to fuzz/work/<target>/ (ignored by
# git, kept between runs). Exits non-zero when a target crashes (a panic, a
# timeout of 20 s on one input, too much memory, a leak), after printing the
# input that does it and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
build_only=false
if [ "${1:-}" = "--build-only" ]; then
  build_only=true
  shift
fi
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(multistatus item config)
sanitizer="${FUZZ_SANITIZER:-address}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo fuzz build (sanitizer: $sanitizer)"
cargo fuzz build -s "$sanitizer"
if $build_only; then
  echo "fuzz targets built (sanitizer: $sanitizer)"
  exit 0
fi

failed=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target for $seconds s"
  work="fuzz/work/$target"
  artifacts="fuzz/artifacts/$target"
  mkdir -p "$work" "$artifacts"
  before=$(cd "$artifacts" && ls -A)
  log=$(mktemp "${TMPDIR:-/tmp}/davsync-fuzz-$target.XXXXXX")
  # New finds go to the first folder; the seeds are only read.
  if cargo fuzz run -s "$sanitizer" "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || tail -n 3 "$log"
  else
    tail -n 60 "$log"
    failed+=("$target")
    for path in "$artifacts"/*; do
      [ -e "$path" ] || continue
      if ! grep -qxF "${path##*/}" <<<"$before"; then
        echo "!! $target crashed on $path"
        echo "!! replay: RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer $target $path"
      fi
    done
  fi
  rm -f "$log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: no crash in ${targets[*]} ($seconds s each)"
