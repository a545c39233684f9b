#!/usr/bin/env bash
# Side-by-side: nvframe vs PMDK 1.12 (libpmemobj) on this machine, in one session, same pool
# directory, same modes, same method (fixed time per thread count, rates summed over threads).
#
#   PMDK flush mode (PMEM_IS_PMEM_FORCE=1)  <->  nvframe --dax-mode emulate
#   PMDK msync mode (no variable)           <->  nvframe --dax-mode msync
#
#   obj_alloc_free_4k     <-> alloc_free_4k      durable alloc + free of one 4 KiB block
#   obj_tx_update64_in4k  <-> tx_update_64b      transaction updating 64 B of a 4 KiB block
#   obj_tx_alloc4k_link   <-> tx_alloc_4k_link   transaction allocating 4 KiB + linking it
#   obj_tx_rewrite_1m / _16m (benchmarks/pmdk-tx-rewrite.c: pmemobj_tx_add_range of every object)
#                         <-> tx_rewrite_1m / tx_rewrite_16m   one transaction rewriting 1 MiB / 16 MiB
#                             of existing 4 KiB objects / frames (each thread its own)
#   pool_open (obj, clean) <-> bench --open-region (cold: first open in a fresh JVM; warm: later opens)
#   blk_write_4k / blk_read_4k, blk_write_512 / blk_read_512 (libpmemblk, benchmarks/pmdk-blk-rw.c)
#                         <-> nvframe btt bench: random block writes / reads on a new 1 GiB BTT
#
# Before and after every measured run, benchmarks/line-transfer.c times how long a cache line takes
# to move between processors 0 and 1 (xfer_ns in the raw lines, a column of the table). On a VM the
# hypervisor places the vCPUs and may move them: tens of ns when they share a last-level cache,
# several times more when not, and every line two threads share costs that factor, so a two-thread
# row's spread follows this number (benchmarks/results.md).
#
# usage: benchmarks/compare-pmdk.sh [pooldir]        (default pooldir: /dev/shm)
# env:   DURATION    measured seconds per run (default 3)
#        WARMUP      unmeasured seconds before each nvframe region run, for the JIT (default 5; the
#                    PMDK programs are native code). With two busy threads on two vCPUs the JIT's
#                    compiler threads get little processor time, and a 1.5 s warm-up left the
#                    two-thread rows still compiling (benchmarks/results.md).
#        REPS        repetitions of everything, outer loop (default 3)
#        THREADS     thread counts (default "1 2")
#        MODES       "flush msync" (default; PMDK names, nvframe uses emulate / msync)
#        OUT         folder for raw results and the table (default: a new folder under /tmp)
#        WAIT_QUIET  wait up to this many seconds before each run for an idle machine (default 0)
#        PARTS       which groups to run: "obj rewrite open blk" (default; obj = the three pmemobj
#                    rows, rewrite = the 1 MiB and 16 MiB rewrite transactions, open = pool open,
#                    blk = libpmemblk vs the btt backend)
#        NVFRAME_WRITEBACK  split (default) or per-flush: whether the nvframe JVM gets
#                    --add-opens java.base/jdk.internal.misc=ALL-UNNAMED, which lets emulate mode
#                    write back lines at flush and fence once (see backend-dax CacheLineWriteback);
#                    per-flush passes only --add-exports (one fence per flush call)
#        NVFRAME_MSYNC  how nvframe's msync mode syncs: empty (default: the backend's dax.msync=auto,
#                    fdatasync on tmpfs and ramfs, else merged msync), merged, fdatasync or per-flush
#                    (backend-dax/README.md, "Merged msync and fdatasync"); the table's last line
#                    names what the runs used
#        PMDK_SRC    folder with PMDK's peer programs (default ../shared/peers/pmdk from the repo)
#        NVFRAME_JAR the nvframe command-line jar to run (default: cli/target/nvframe.jar, after
#                    letting ./nvframe build it if sources changed); it is started with the JDK 25
#                    that ./nvframe picks and the flags above, not through ./nvframe, so that the
#                    write-back path is the one asked for
#
# Installs nothing. Needs gcc, PMDK 1.12 headers and libraries (Debian: apt-get install -y
# libpmem-dev libpmemobj-dev libpmemblk-dev), awk, and a JDK 25 (./nvframe finds it and builds the
# command-line tool on first use). Builds the PMDK programs into $OUT/pmdk-build, never into
# PMDK_SRC. Prints one markdown table (and writes it to $OUT/table.md; raw lines in $OUT/raw.txt).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POOLDIR=${1:-/dev/shm}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-5}
REPS=${REPS:-3}
THREADS=${THREADS:-"1 2"}
MODES=${MODES:-"flush msync"}
PARTS=${PARTS:-"obj rewrite open blk"}
WRITEBACK=${NVFRAME_WRITEBACK:-split}
MSYNC=${NVFRAME_MSYNC:-}
PMDK_SRC=${PMDK_SRC:-"$repo/../shared/peers/pmdk"}
OUT=${OUT:-$(mktemp -d /tmp/nvframe-vs-pmdk.XXXXXX)}

# ---------------------------------------------------------------- prerequisites (checked, never installed)
missing=()
command -v gcc >/dev/null 2>&1 || missing+=("gcc (apt-get install -y gcc)")
command -v awk >/dev/null 2>&1 || missing+=("awk")
for h in libpmem.h libpmemobj.h libpmemblk.h; do
  if command -v gcc >/dev/null 2>&1 && ! echo "#include <$h>" | gcc -E - >/dev/null 2>&1; then
    missing+=("$h (apt-get install -y libpmem-dev libpmemobj-dev libpmemblk-dev)")
  fi
done
for f in bench.h obj_alloc.c obj_tx.c pool_open.c; do
  [ -f "$PMDK_SRC/$f" ] || missing+=("$PMDK_SRC/$f (set PMDK_SRC to the folder with PMDK's peer programs)")
done
[ -d "$POOLDIR" ] && [ -w "$POOLDIR" ] || missing+=("a writable pool directory $POOLDIR")
case "$WRITEBACK" in split|per-flush) ;; *) missing+=("NVFRAME_WRITEBACK=split or per-flush, not '$WRITEBACK'") ;; esac
case "$MSYNC" in ''|auto|merged|fdatasync|per-flush) ;; *) missing+=("NVFRAME_MSYNC=merged, fdatasync or per-flush, not '$MSYNC'") ;; esac
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare-pmdk.sh: missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

mkdir -p "$OUT/pmdk-build"
RAW="$OUT/raw.txt"
: >"$RAW"

CC="gcc -O2 -Wall -Wextra"
$CC -o "$OUT/pmdk-build/obj_alloc" "$PMDK_SRC/obj_alloc.c" -lpmemobj -lpmem -lpthread
$CC -o "$OUT/pmdk-build/obj_tx" "$PMDK_SRC/obj_tx.c" -lpmemobj -lpmem -lpthread
$CC -o "$OUT/pmdk-build/pool_open" "$PMDK_SRC/pool_open.c" -lpmemobj -lpmemblk -lpmem -lpthread
$CC -I "$PMDK_SRC" -o "$OUT/pmdk-build/pmdk-blk-rw" "$repo/benchmarks/pmdk-blk-rw.c" -lpmemblk -lpmem -lpthread
$CC -I "$PMDK_SRC" -o "$OUT/pmdk-build/pmdk-tx-rewrite" "$repo/benchmarks/pmdk-tx-rewrite.c" -lpmemobj -lpmem -lpthread
$CC -o "$OUT/pmdk-build/line-transfer" "$repo/benchmarks/line-transfer.c" -lpthread

if [ -z "${NVFRAME_JAR:-}" ]; then
  echo "building/checking the nvframe command-line tool (./nvframe) ..." >&2
  "$repo/nvframe" backends >/dev/null
  NVFRAME_JAR="$repo/cli/target/nvframe.jar"
fi
[ -f "$NVFRAME_JAR" ] || { echo "compare-pmdk.sh: NVFRAME_JAR=$NVFRAME_JAR does not exist" >&2; exit 1; }
JAVA=$(. "$repo/.mvn/find-jdk.sh" && nvframe_find_jdk && echo "$JAVA_HOME/bin/java")
NVFRAME_FLAGS=(--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED)
if [ "$WRITEBACK" = split ]; then
  NVFRAME_FLAGS+=(--add-opens java.base/jdk.internal.misc=ALL-UNNAMED)
fi
# shellcheck disable=SC2086 # NVFRAME_JAVA_OPTS is a list of JVM options, like for ./nvframe
nvframe() { "$JAVA" ${NVFRAME_JAVA_OPTS:-} "${NVFRAME_FLAGS[@]}" -jar "$NVFRAME_JAR" "$@"; }
nvframe backends >/dev/null

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -n), kernel $(uname -r)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
  echo "cpu flush flags: $(grep -m1 -o -w -E 'clwb|clflushopt|clflush' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "pooldir: $POOLDIR ($(df -T "$POOLDIR" | awk 'NR==2{print $2}'))"
  echo "pmdk: $(dpkg-query -W -f='${Package} ${Version}  ' libpmemobj1 libpmem1 2>/dev/null || echo unknown)"
  echo "java: $(. "$repo/.mvn/find-jdk.sh" && nvframe_find_jdk && "$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "nvframe: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)'), jar $NVFRAME_JAR, writeback $WRITEBACK, JVM flags: ${NVFRAME_JAVA_OPTS:-} ${NVFRAME_FLAGS[*]}"
  echo "DURATION=$DURATION WARMUP=$WARMUP REPS=$REPS THREADS='$THREADS' MODES='$MODES'"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---------------------------------------------------------------- measuring helpers (as PMDK's run.sh)
busy_s() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f", ($2+$3+$4+$7+$8)/hz}' /proc/stat; }
wait_quiet() {
  local waited=0 b0 b1
  while [ "$waited" -lt "${WAIT_QUIET:-0}" ]; do
    b0=$(busy_s); sleep 1; b1=$(busy_s)
    awk -v a="$b0" -v b="$b1" 'BEGIN{exit !(b-a < 0.25)}' && return 0
    waited=$((waited + 1))
  done
}
# xfer: nanoseconds for a cache line to move between processors 0 and 1 now ("-" with one processor)
xfer() { if [ "$(nproc)" -ge 2 ]; then "$OUT/pmdk-build/line-transfer" 0 1 | sed -n 's/^xfer_ns=//p'; else echo -; fi; }
# run CMD...: its stdout goes to $RUN_OUT; sets OTHER_CPU = cores used by everything else meanwhile,
# XFER = "xfer_ns=BEFORE/AFTER" (line-transfer times just before and just after it)
run() {
  wait_quiet
  local t b0 b1 real user sys x0
  x0=$(xfer)
  t=$(mktemp)
  b0=$(busy_s)
  { TIMEFORMAT='%R %U %S'; time "$@" >"$t.out" 2>"$t.err"; } 2>"$t.time" || { cat "$t.err" >&2; exit 1; }
  b1=$(busy_s)
  read -r real user sys <"$t.time"
  OTHER_CPU=$(awk -v a="$b0" -v b="$b1" -v r="$real" -v u="$user" -v s="$sys" \
    'BEGIN{o=(b-a-u-s)/r; if (o<0) o=0; printf "%.2f", o}')
  RUN_OUT=$(cat "$t.out")
  rm -f "$t" "$t.out" "$t.err" "$t.time"
  XFER="xfer_ns=$x0/$(xfer)"
}
# one line per measurement: SYS OP MODE THREADS key=value ...
record() { echo "$*" >>"$RAW"; }

pmdk_env() { if [ "$1" = flush ]; then echo "PMEM_IS_PMEM_FORCE=1"; else echo "PMEM_IS_PMEM_FORCE="; fi; }
nv_mode() { if [ "$1" = flush ]; then echo emulate; else echo msync; fi; }

pmdk_run() { # mode threads binary variant op
  local mode=$1 t=$2 bin=$3 variant=$4 op=$5
  if [ "$mode" = flush ]; then
    run env PMEM_IS_PMEM_FORCE=1 DURATION="$DURATION" "$OUT/pmdk-build/$bin" "$POOLDIR" "$t" "$variant"
  else
    run env -u PMEM_IS_PMEM_FORCE DURATION="$DURATION" "$OUT/pmdk-build/$bin" "$POOLDIR" "$t" "$variant"
  fi
  local line
  line=$(echo "$RUN_OUT" | grep '^RESULT ' | head -1)
  local got_mode ops_s ns_op
  got_mode=$(echo "$line" | sed -n 's/.* mode=\([a-z]*\).*/\1/p')
  [ "$got_mode" = "$mode" ] || { echo "PMDK ran in mode '$got_mode', expected $mode: $line" >&2; exit 1; }
  ops_s=$(echo "$line" | sed -n 's/.* ops_s=\([0-9.]*\).*/\1/p')
  ns_op=$(echo "$line" | sed -n 's/.* ns_op=\([0-9.]*\).*/\1/p')
  record "pmdk $op $mode $t ops_s=$ops_s ns_op=$ns_op other_cpu=$OTHER_CPU $XFER rep=$rep"
}

nv_run() { # mode threads op
  local mode=$1 t=$2 op=$3
  local sync_opt=()
  [ "$mode" = msync ] && [ -n "$MSYNC" ] && sync_opt=(-o "dax.msync=$MSYNC")
  run nvframe bench --dax-mode "$(nv_mode "$mode")" "${sync_opt[@]}" --dir "$POOLDIR" --ops "$op" --threads "$t" --seconds "$DURATION" --warmup "$WARMUP" --json
  # the JSON of one row (bench --json prints JSON only)
  local ops_s ns_op fences flushes sync
  ops_s=$(json_num "$RUN_OUT" opsPerSecond)
  ns_op=$(json_num "$RUN_OUT" nsPerOp)
  fences=$(json_num "$RUN_OUT" fencesPerOp)
  flushes=$(json_num "$RUN_OUT" flushesPerOp)
  [ -n "$ops_s" ] && [ -n "$fences" ] && echo "$RUN_OUT" | grep -q "\"operation\": \"$op\"" \
    || { echo "no result for $op/$t in: $RUN_OUT" >&2; exit 1; }
  sync=$(echo "$RUN_OUT" | sed -n 's/.*"msync": *"\([a-z-]*\)".*/\1/p' | head -1)
  record "nvframe $op $mode $t ops_s=$ops_s ns_op=$ns_op fences_op=$fences flushes_op=$flushes sync=${sync:--} other_cpu=$OTHER_CPU $XFER rep=$rep"
}
# json_num JSON KEY: the number after "KEY": (Java's Double.toString form, e.g. 1.2E7)
json_num() { echo "$1" | sed -n "s/.*\"$2\": *\([-0-9.eE+]*\).*/\1/p" | head -1; }

# blk: one PMDK process and one nvframe process per (mode, threads, block size), each measuring
# random writes, then random reads
pmdk_blk_run() { # mode threads bsize
  local mode=$1 t=$2 bs=$3 line op
  if [ "$mode" = flush ]; then
    run env PMEM_IS_PMEM_FORCE=1 DURATION="$DURATION" "$OUT/pmdk-build/pmdk-blk-rw" "$POOLDIR" "$t" "$bs"
  else
    run env -u PMEM_IS_PMEM_FORCE DURATION="$DURATION" "$OUT/pmdk-build/pmdk-blk-rw" "$POOLDIR" "$t" "$bs"
  fi
  while read -r line; do
    op=$(echo "$line" | sed -n 's/.* bench=\([a-z0-9_]*\).*/\1/p')
    record "pmdk $op $mode $t ops_s=$(echo "$line" | sed -n 's/.* ops_s=\([0-9.]*\).*/\1/p') ns_op=$(echo "$line" | sed -n 's/.* ns_op=\([0-9.]*\).*/\1/p') other_cpu=$OTHER_CPU $XFER rep=$rep"
  done < <(echo "$RUN_OUT" | grep '^RESULT ')
}
nv_blk_run() { # mode threads bsize
  local mode=$1 t=$2 bs=$3 line
  run nvframe btt bench --dax-mode "$(nv_mode "$mode")" --dir "$POOLDIR" --threads "$t" --block-size "$bs" --seconds "$DURATION"
  while read -r line; do
    set -- $line
    record "nvframe $1 $mode $t ops_s=${3//,/} ns_op=$4 fences_op=$5 flushes_op=$6 other_cpu=$OTHER_CPU $XFER rep=$rep"
  done < <(echo "$RUN_OUT" | grep '^blk_')
}
part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- the runs
OPEN_FILE="$POOLDIR/nvframe-compare-open.$$.nvf"
trap 'rm -f "$OPEN_FILE"' EXIT
for rep in $(seq "$REPS"); do
  for mode in $MODES; do
    echo "rep $rep/$REPS, mode $mode ..." >&2
    for t in $THREADS; do
      part obj || continue
      pmdk_run "$mode" "$t" obj_alloc 4k alloc_free_4k
      nv_run "$mode" "$t" alloc_free_4k
      pmdk_run "$mode" "$t" obj_tx update64 tx_update_64b
      nv_run "$mode" "$t" tx_update_64b
      pmdk_run "$mode" "$t" obj_tx alloclink tx_alloc_4k_link
      nv_run "$mode" "$t" tx_alloc_4k_link
    done
    if part rewrite; then
      for t in $THREADS; do
        for size in 1m 16m; do
          pmdk_run "$mode" "$t" pmdk-tx-rewrite "$size" "tx_rewrite_$size"
          nv_run "$mode" "$t" "tx_rewrite_$size"
        done
      done
    fi
    if part blk; then
      for t in $THREADS; do
        for bs in 4096 512; do
          pmdk_blk_run "$mode" "$t" "$bs"
          nv_blk_run "$mode" "$t" "$bs"
        done
      done
    fi
    part open || continue
    # open of a clean 1 GiB pool / region holding 16384 allocated 4 KiB blocks
    if [ "$mode" = flush ]; then
      run env PMEM_IS_PMEM_FORCE=1 "$OUT/pmdk-build/pool_open" "$POOLDIR"
    else
      run env -u PMEM_IS_PMEM_FORCE "$OUT/pmdk-build/pool_open" "$POOLDIR"
    fi
    ms=$(echo "$RUN_OUT" | grep 'bench=obj_pool_1GiB' | sed -n 's/.* open_clean_ms=\([0-9.]*\).*/\1/p')
    record "pmdk open_1g $mode 1 open_ms=$ms other_cpu=$OTHER_CPU $XFER rep=$rep"
    rm -f "$OPEN_FILE"
    run nvframe bench --dax-mode "$(nv_mode "$mode")" --open-region "$OPEN_FILE" --open-repeats 1
    run nvframe bench --dax-mode "$(nv_mode "$mode")" --open-region "$OPEN_FILE" --open-repeats 101 --json
    cold=$(echo "$RUN_OUT" | sed -n 's/.*"firstOpenMs": *\([0-9.]*\).*/\1/p')
    cold_internal=$(echo "$RUN_OUT" | sed -n 's/.*"firstOpenInternalMs": *\([0-9.]*\).*/\1/p')
    warm=$(echo "$RUN_OUT" | sed -n 's/.*"warmOpenMsMedian": *\([0-9.]*\).*/\1/p')
    warm_internal=$(echo "$RUN_OUT" | sed -n 's/.*"warmOpenInternalMsMedian": *\([0-9.]*\).*/\1/p')
    logging=$(echo "$RUN_OUT" | sed -n 's/.*"loggingInitMs": *\([0-9.]*\).*/\1/p')
    record "nvframe open_1g $mode 1 cold_ms=$cold cold_internal_ms=$cold_internal warm_ms=$warm warm_internal_ms=$warm_internal logging_init_ms=$logging other_cpu=$OTHER_CPU $XFER rep=$rep"
    rm -f "$OPEN_FILE"
  done
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

# ---------------------------------------------------------------- the table
# targets (nvframe / PMDK ops/s): OP@MODE@THREADS=RATIO, * for any mode or thread count; issue 13
# sets update, alloc+link and the rewrites in both modes, the others are DESIGN.md's flush-mode
# 1-thread targets. Two threads vs one: OP=RATIO (issue 13: update and alloc+link; DESIGN.md: the others).
TARGETS="alloc_free_4k@flush@1=3 tx_update_64b@*@1=1.8 tx_update_64b@*@2=1.5 tx_alloc_4k_link@*@*=3
  tx_rewrite_1m@*@*=1 tx_rewrite_16m@*@*=1 blk_write_4k@flush@1=1.5 blk_read_4k@flush@1=1 blk_write_512@flush@1=1.5
  blk_read_512@flush@1=1"
SCALING_TARGETS="tx_update_64b=1.9 tx_alloc_4k_link=1.9 alloc_free_4k=1.8 blk_write_4k=1.8 blk_read_4k=1.8
  blk_write_512=1.8 blk_read_512=1.8"
awk -v targets="$TARGETS" -v scaling="$SCALING_TARGETS" -v writeback="$WRITEBACK" '
function med(key,   n, i, j, tmp, a) {
  n = split(vals[key], a, " ")
  for (i = 2; i <= n; i++) { tmp = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > tmp; j--) a[j + 1] = a[j]; a[j + 1] = tmp }
  if (n == 0) return ""
  return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(key,   n, i, a, m) { n = split(vals[key], a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
function hi(key,   n, i, a, m) { n = split(vals[key], a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
function commas(v,   s, r) { s = sprintf("%.0f", v); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
function f(v) { return v >= 100 ? commas(v) : (v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)) }
function put(key, v) { vals[key] = (key in vals) ? vals[key] " " v : v }
# the target of op in mode with thr threads: the most specific of op@mode@thr, op@*@thr, op@mode@*, op@*@*
function tgt(op, mode, thr,   k) {
  k = op "@" mode "@" thr; if (k in target) return "≥ " target[k] "×"
  k = op "@*@" thr; if (k in target) return "≥ " target[k] "×"
  k = op "@" mode "@*"; if (k in target) return "≥ " target[k] "×"
  k = op "@*@*"; if (k in target) return "≥ " target[k] "×"
  return "–"
}
BEGIN {
  n = split(targets, tt, " ")
  for (i = 1; i <= n; i++) { split(tt[i], kv, "="); target[kv[1]] = kv[2] }
  n = split(scaling, tt, " ")
  for (i = 1; i <= n; i++) { split(tt[i], kv, "="); scale[kv[1]] = kv[2] }
  nvmode["flush"] = "emulate"; nvmode["msync"] = "msync"
}
{
  sys = $1; op = $2; mode = $3; thr = $4
  for (i = 5; i <= NF; i++) {
    split($i, kv, "=")
    put(sys SUBSEP op SUBSEP mode SUBSEP thr SUBSEP kv[1], kv[2])
    if (kv[1] == "sync" && kv[2] != "-" && !((mode SUBSEP kv[2]) in syncs)) { syncs[mode SUBSEP kv[2]] = 1; synclist = synclist (synclist == "" ? "" : ", ") kv[2] " (" nvmode[mode] ")" }
    if (kv[1] == "other_cpu" && kv[2] + 0 > maxother[op SUBSEP mode SUBSEP thr]) maxother[op SUBSEP mode SUBSEP thr] = kv[2] + 0
    if (kv[1] == "xfer_ns" && kv[2] != "-/-") { # before/after of one run, of either system: the row'"'"'s range
      split(kv[2], ba, "/"); rk = op SUBSEP mode SUBSEP thr
      for (b = 1; b <= 2; b++) {
        if (!(rk in xlo) || ba[b] + 0 < xlo[rk]) xlo[rk] = ba[b] + 0
        if (!(rk in xhi) || ba[b] + 0 > xhi[rk]) xhi[rk] = ba[b] + 0
      }
    }
  }
  if (!((op SUBSEP mode SUBSEP thr) in seen)) { seen[op SUBSEP mode SUBSEP thr] = 1; order[++rows] = op SUBSEP mode SUBSEP thr }
}
END {
  print "| operation | PMDK mode / nvframe mode | thr | PMDK ops/s median [min .. max] | PMDK ns/op | nvframe ops/s median [min .. max] | nvframe ns/op | nvframe fences/op | flushes/op | nvframe / PMDK | target | other_cpu max | line transfer ns [min .. max] |"
  print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for (r = 1; r <= rows; r++) {
    split(order[r], k, SUBSEP); op = k[1]; mode = k[2]; thr = k[3]
    if (op == "open_1g") continue
    p = "pmdk" SUBSEP op SUBSEP mode SUBSEP thr SUBSEP; q = "nvframe" SUBSEP op SUBSEP mode SUBSEP thr SUBSEP
    pm = med(p "ops_s"); nm = med(q "ops_s")
    ratio = pm > 0 ? nm / pm : 0
    xr = (order[r] in xlo) ? xlo[order[r]] " .. " xhi[order[r]] : "–"
    printf "| %s | %s / %s | %s | %s [%s .. %s] | %s | %s [%s .. %s] | %s | %s | %s | %.2f× | %s | %.2f | %s |\n", op, mode, nvmode[mode], thr,
      f(pm), f(lo(p "ops_s")), f(hi(p "ops_s")), f(med(p "ns_op")),
      f(nm), f(lo(q "ops_s")), f(hi(q "ops_s")), f(med(q "ns_op")),
      f(med(q "fences_op")), f(med(q "flushes_op")), ratio, tgt(op, mode, thr), maxother[order[r]], xr
  }
  print ""
  print "| two threads vs one (ops/s ratio, medians) | mode | PMDK | nvframe | target |"
  print "|---|---|---|---|---|"
  for (r = 1; r <= rows; r++) {
    split(order[r], k, SUBSEP); op = k[1]; mode = k[2]; thr = k[3]
    if (op == "open_1g" || thr != 2) continue
    p1 = med("pmdk" SUBSEP op SUBSEP mode SUBSEP 1 SUBSEP "ops_s"); p2 = med("pmdk" SUBSEP op SUBSEP mode SUBSEP 2 SUBSEP "ops_s")
    n1 = med("nvframe" SUBSEP op SUBSEP mode SUBSEP 1 SUBSEP "ops_s"); n2 = med("nvframe" SUBSEP op SUBSEP mode SUBSEP 2 SUBSEP "ops_s")
    if (p1 > 0 && n1 > 0) printf "| %s | %s / %s | %.2f× | %.2f× | %s |\n", op, mode, nvmode[mode], p2 / p1, n2 / n1,
      (op in scale) ? "≥ " scale[op] "×" : "–"
  }
  opens = 0
  for (r = 1; r <= rows; r++) { split(order[r], k, SUBSEP); if (k[1] == "open_1g") opens++ }
  if (opens > 0) print ""
  if (opens > 0) print "| open of a clean 1 GiB pool/region (16384 allocated 4 KiB blocks) | mode | PMDK pmemobj_open ms | nvframe cold: first open in a fresh JVM, ms (its open.ms) | nvframe warm: median of 100 later opens in that JVM, ms (open.ms) | JVM logging start-up before the cold open, ms | other_cpu max |"
  if (opens > 0) print "|---|---|---|---|---|---|---|"
  for (r = 1; r <= rows; r++) {
    split(order[r], k, SUBSEP); op = k[1]; mode = k[2]; thr = k[3]
    if (op != "open_1g") continue
    p = "pmdk" SUBSEP op SUBSEP mode SUBSEP thr SUBSEP; q = "nvframe" SUBSEP op SUBSEP mode SUBSEP thr SUBSEP
    printf "| open_1g | %s / %s | %s [%s .. %s] | %s [%s .. %s] (%s) | %s [%s .. %s] (%s) | %s | %.2f |\n", mode, nvmode[mode],
      f(med(p "open_ms")), f(lo(p "open_ms")), f(hi(p "open_ms")),
      f(med(q "cold_ms")), f(lo(q "cold_ms")), f(hi(q "cold_ms")), f(med(q "cold_internal_ms")),
      f(med(q "warm_ms")), f(lo(q "warm_ms")), f(hi(q "warm_ms")), f(med(q "warm_internal_ms")),
      f(med(q "logging_init_ms")), maxother[order[r]]
  }
  print ""
  print "Medians of " '"$REPS"' " runs; each run is a fresh process with a fresh 1 GiB pool/region in the pool directory. nvframe emulate write-back: " writeback "." (synclist == "" ? "" : " nvframe msync mode syncs with dax.msync=" synclist "; PMDK calls msync.") " PMDK fences are not counted (libpmem has no counter)."
}' "$RAW" | tee "$OUT/table.md"
echo "raw results: $RAW; environment: $OUT/env.txt" >&2
