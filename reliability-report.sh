#!/usr/bin/env bash
# Regenerates the reliability table: runs the reliability tests (load, hostile clients,
# connection limit, faults, limits), the conformance fuzz mode, reads the coverage-guided fuzz
# summaries if any, and writes docs/reliability.md.
#
#   ./reliability-report.sh                     # about a minute or two
#   ./reliability-report.sh --soak 10           # also the soak, 10 minutes
#   ./reliability-report.sh --fuzz 500 --seed 7 # conformance fuzz size and seed (default 300, seed 1)
#
# Exit status: 0 all held; 1 something failed (the table says what).
set -uo pipefail
cd "$(dirname "$0")"

fuzz_cases=300
fuzz_seed=1
soak_minutes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz) fuzz_cases="$2"; shift 2 ;;
    --seed) fuzz_seed="$2"; shift 2 ;;
    --soak) soak_minutes="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 64 ;;
  esac
done

command_line="./reliability-report.sh --fuzz $fuzz_cases --seed $fuzz_seed${soak_minutes:+ --soak $soak_minutes}"
out="$PWD/artifacts/reliability"
mkdir -p "$out"
# A soak's figures are kept until the next soak replaces them; everything else is from this run.
rm -f "$out/load.json" "$out/connection-limit.json" "$out/reliability.junit.xml" "$out/fuzz.log" "$out/tests.log"
started=$(date +%s)
failed=0

echo "== building the reference tests and the conformance runner"
dotnet build reference/Zrpc.Tests/Zrpc.Tests.csproj -c Release -nologo -clp:NoSummary -v q || exit 1
dotnet build conformance/Zrpc.Conformance/Zrpc.Conformance.csproj -c Release -nologo -clp:NoSummary -v q || exit 1

echo "== reliability tests"
ZRPC_RELIABILITY_OUT="$out" \
  dotnet test reference/Zrpc.Tests/Zrpc.Tests.csproj -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Zrpc.Tests.Reliability" \
  --logger "junit;LogFilePath=$out/reliability.junit.xml" \
  --logger "console;verbosity=normal" 2>&1 | tee "$out/tests.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1

# The soak is [Explicit]: NUnit runs it only when a filter names it alone.
if [ -n "$soak_minutes" ]; then
  echo "== soak: $soak_minutes min"
  rm -f "$out/soak.json" "$out/soak.junit.xml"
  ZRPC_RELIABILITY_OUT="$out" ZRPC_SOAK_MINUTES="$soak_minutes" \
    dotnet test reference/Zrpc.Tests/Zrpc.Tests.csproj -c Release --no-build -nologo \
    --filter "FullyQualifiedName~Zrpc.Tests.Reliability.SoakTests" \
    --logger "junit;LogFilePath=$out/soak.junit.xml" \
    --logger "console;verbosity=detailed" 2>&1 | tee "$out/soak.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
fi

echo "== conformance fuzz: $fuzz_cases inputs, seed $fuzz_seed"
dotnet run --project conformance/Zrpc.Conformance -c Release --no-build -- --fuzz "$fuzz_cases" --seed "$fuzz_seed" 2>&1 | tee "$out/fuzz.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1

elapsed=$(( $(date +%s) - started ))
echo "== table"
python3 tools/reliability-report/make_table.py --run-dir "$out" --fuzz-root artifacts/fuzz \
  --doc docs/reliability.md --command "$command_line" --seconds "$elapsed"
status=$?
[ $status -eq 0 ] || failed=1
echo "reliability report: $([ $failed -eq 0 ] && echo 'all held' || echo 'SOMETHING FAILED, see docs/reliability.md') in ${elapsed} s"
exit $failed
