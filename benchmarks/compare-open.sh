#!/usr/bin/env bash
# Opening a 1 GiB region right after creating it, nvframe vs PMDK 1.12, alternating run by run.
#
#   PMDK:    pool_open.c (flush mode, PMEM_IS_PMEM_FORCE=1): create a 1 GiB libpmemobj pool, allocate
#            16384 objects of 4 KiB, close, time pmemobj_open in the same process (open_clean_ms)
#   nvframe: ./nvframe bench --dax-mode emulate --open-region NEW_FILE --open-repeats 10 --json:
#            create a 1 GiB region, allocate and write 16384 frames, close, time the first open in
#            the same JVM (firstOpenMs), then 9 more opens (warmOpenMsMedian)
#
# usage: benchmarks/compare-open.sh [pooldir]     (default /dev/shm)
# env:   ROUNDS     alternating rounds (default 20)
#        NVFRAME_AOT=0  run nvframe without the launcher's AOT cache
#        PMDK_SRC   folder with PMDK's peer programs (default ../shared/peers/pmdk from the repo)
# Needs gcc and PMDK 1.12 (Debian: apt-get install -y libpmem-dev libpmemobj-dev libpmemblk-dev),
# python3, and a JDK 25 (./nvframe finds it). Installs nothing. Prints medians [min .. max].
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POOLDIR=${1:-/dev/shm}
ROUNDS=${ROUNDS:-20}
PMDK_SRC=${PMDK_SRC:-"$repo/../shared/peers/pmdk"}

for tool in gcc python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "compare-open: $tool is missing" >&2; exit 1; }
done
[ -f "$PMDK_SRC/pool_open.c" ] || { echo "compare-open: no $PMDK_SRC/pool_open.c (set PMDK_SRC)" >&2; exit 1; }
[ -d "$POOLDIR" ] && [ -w "$POOLDIR" ] || { echo "compare-open: $POOLDIR is not a writable folder" >&2; exit 1; }

work="$(mktemp -d /tmp/nvframe-open.XXXXXX)"
trap 'rm -rf "$work"; rm -f "$POOLDIR/nvframe-open-compare.nvf"' EXIT
if ! gcc -O2 -o "$work/pool_open" "$PMDK_SRC/pool_open.c" -I"$PMDK_SRC" -lpmemobj -lpmemblk -lpmem -lpthread \
    >"$work/gcc.log" 2>&1; then
  cat "$work/gcc.log" >&2
  echo "compare-open: cannot build pool_open.c; apt-get install -y libpmem-dev libpmemobj-dev libpmemblk-dev" >&2
  exit 1
fi
"$repo/nvframe" --version >/dev/null  # builds the tool (and its start-up cache) outside the timed runs

region="$POOLDIR/nvframe-open-compare.nvf"
: >"$work/pmdk"; : >"$work/nvframe"
for i in $(seq 1 "$ROUNDS"); do
  PMEM_IS_PMEM_FORCE=1 "$work/pool_open" "$POOLDIR" 2>/dev/null \
    | sed -n 's/^RESULT bench=obj_pool_1GiB .*open_clean_ms=\([0-9.]*\).*/\1/p' >>"$work/pmdk"
  rm -f "$region"
  "$repo/nvframe" bench --dax-mode emulate --open-region "$region" --open-repeats 10 --json 2>/dev/null \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["firstOpenMs"], r["warmOpenMsMedian"])' \
    >>"$work/nvframe"
done

python3 - "$work/pmdk" "$work/nvframe" <<'PY'
import statistics, sys
pmdk = [float(x) for x in open(sys.argv[1]).read().split()]
rows = [tuple(map(float, line.split())) for line in open(sys.argv[2]) if line.strip()]
def show(name, xs):
    xs = sorted(xs)
    print(f"{name:42s} median {statistics.median(xs):6.2f} ms  [{xs[0]:.2f} .. {xs[-1]:.2f}]  n={len(xs)}")
show("PMDK pmemobj_open (clean, after create)", pmdk)
show("nvframe first open after create", [r[0] for r in rows])
show("nvframe warm open (median of 9 per JVM)", [r[1] for r in rows])
first = [r[0] for r in rows]
print(f"nvframe first opens faster than PMDK's median: {sum(f < statistics.median(pmdk) for f in first)} of {len(first)}")
PY
