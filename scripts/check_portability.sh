#!/usr/bin/env bash
# Run every notebook under nbval (exactly as scripts/test.sh does) with settings that emulate other
# machines, and print a table of settings x (passed, failed, time).  Slow (about 5-8 minutes per
# setting on 2 cores): a check to run before storing outputs or changing what cells compare, not part
# of the test command (which has a fast guard, tests/test_stored_outputs.py).
#
#   bash scripts/check_portability.sh                     # 3 CPU paths x 2 thread counts
#   CAPS="default" THREADS="1" bash scripts/check_portability.sh -k 09   # one setting, one notebook
#   VULIB_SEED=7 bash scripts/check_portability.sh        # the same on another seed
#
# CAPS: values of ATEN_CPU_CAPABILITY, which torch reads when it starts and which nbval's kernels inherit:
#   "default" (no SIMD), "avx2", and "native" (unset: what this CPU picks; x86-64 with AVX-512 picks avx512).
#   On arm64 torch knows "default" and, where the CPU has SVE, "sve256": use CAPS="default native".
# THREADS: values of VULIB_NUM_THREADS for each kernel.  With 1 thread two notebooks run at once (-n 2);
#   with more, one at a time (-n 1), so threads do not fight over the cores.
# Extra arguments go to pytest.  Exit status: 1 when any setting failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
set +e                     # _env.sh sets -e; here a failing setting must not stop the others
cd "$ROOT"
CAPS="${CAPS:-default avx2 native}"
THREADS="${THREADS:-1 2}"
log_dir="${PORTABILITY_LOGS:-artifacts/portability}"
mkdir -p "$log_dir"
echo "this CPU: $(python -c 'import torch; print(torch.backends.cpu.get_cpu_capability())'); seed: ${VULIB_SEED:-default}"
rows=()
status=0
for cap in $CAPS; do
    for threads in $THREADS; do
        workers=2; [ "$threads" -gt 1 ] && workers=1
        log="$log_dir/cap-${cap}_threads-${threads}.log"
        start=$(date +%s)
        if [ "$cap" = native ]; then unset ATEN_CPU_CAPABILITY; else export ATEN_CPU_CAPABILITY="$cap"; fi
        VULIB_NUM_THREADS="$threads" MPLBACKEND=module://matplotlib_inline.backend_inline \
            python -m pytest notebooks --nbval --nbval-current-env \
            --nbval-sanitize-with notebooks/nbval-sanitize.cfg \
            -n "$workers" --dist loadfile -p no:cacheprovider -q "$@" > "$log" 2>&1
        rc=$?
        unset ATEN_CPU_CAPABILITY
        took=$(( $(date +%s) - start ))
        summary="$(grep -E '[0-9]+ (passed|failed|errors?)' "$log" | tail -1 | sed -E 's/^=+ //; s/ in [0-9.]+s.*//')"
        passed="$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)"
        failed="$(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | awk '{s += $1} END {print s + 0}')"
        [ "$rc" -ne 0 ] && status=1
        rows+=("| ${cap} | ${threads} | ${passed} | ${failed} | ${took} s | ${log} |")
        echo "ATEN_CPU_CAPABILITY=${cap} VULIB_NUM_THREADS=${threads}: ${summary:-no summary (see $log)} (${took} s)"
    done
done
echo
echo "| ATEN_CPU_CAPABILITY | threads | passed | failed | time | log |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit $status
