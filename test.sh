#!/usr/bin/env bash
# Runs every test of the solution, then checks the shipped artefacts (build/artifacts.sh), and
# prints one closing line: "N passed, N failed, N skipped".
# On a fresh Debian machine (as root) it first installs the native pieces the tests need
# (libpcap0.8, tcpdump, python3, tshark, chromium, gcc, iperf3).
set -uo pipefail
cd "$(dirname "$0")"

need_pkgs=()
ldconfig -p 2>/dev/null | grep -q 'libpcap.so' || need_pkgs+=(libpcap0.8)
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v python3 >/dev/null || need_pkgs+=(python3)
command -v tshark >/dev/null || need_pkgs+=(tshark)   # runs frame-dump's Wireshark dissector test
command -v chromium >/dev/null || need_pkgs+=(chromium) # renders the HTML reports in a real browser
command -v cc >/dev/null || need_pkgs+=(gcc)             # builds the bench's native baseline (zcopy)
command -v iperf3 >/dev/null || need_pkgs+=(iperf3)      # the bench's TCP limit, beside zcopy
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${need_pkgs[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "warning: missing ${need_pkgs[*]} (run as root or install them); some tests will fail" >&2
  fi
fi

results="$PWD/artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

dotnet restore Conformance.sln || exit 1
dotnet build Conformance.sln -c Release --no-restore -nologo -clp:NoSummary || exit 1
# The shipped artefacts, checked as a user meets them (packages installed as tools, single-file
# executables without .NET, the in-process package's example); each check is a test case in
# $results/artifacts.junit.xml. They run beside the tests, from the build just made.
# ZRPC_SKIP_ARTIFACTS=1 leaves them out of a quick local run.
artifacts_pid=
if [ "${ZRPC_SKIP_ARTIFACTS:-0}" != 1 ]; then
  ZRPC_ARTIFACTS_BUILT=1 bash build/artifacts.sh "$results/artifacts.junit.xml" >"$results/artifacts.log" 2>&1 &
  artifacts_pid=$!
fi

if [ $# -gt 0 ]; then
  # Arguments (a --filter, a logger) are the caller's: one plain run of everything.
  dotnet test Conformance.sln -c Release --no-build -nologo \
    --logger "junit;LogFilePath=$results/{assembly}.junit.xml" \
    --results-directory "$results" "$@"
  status=$?
else
  # The scenario suites (every scenario against every built-in target) spend most of their time
  # waiting on peers and timeouts, so they run in a test process of their own beside the rest;
  # the two JUnit files of that assembly are told apart by their names.
  suite=Zrpc.Conformance.Tests.Suite.
  dotnet test conformance/Zrpc.Conformance.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~$suite" \
    --logger "junit;LogFilePath=$results/{assembly}.suite.junit.xml" \
    --results-directory "$results/suite" >"$results/suite.log" 2>&1 &
  suite_pid=$!
  dotnet test Conformance.sln -c Release --no-build -nologo \
    --filter "FullyQualifiedName!~$suite" \
    --logger "junit;LogFilePath=$results/{assembly}.junit.xml" \
    --results-directory "$results"
  status=$?
  wait "$suite_pid" || status=1
  echo "--- scenario suites (conformance/Zrpc.Conformance.Tests, $suite*)"
  cat "$results/suite.log"
fi

if [ -n "$artifacts_pid" ]; then
  wait "$artifacts_pid" || status=1
  echo "--- shipped artefacts (build/artifacts.sh)"
  cat "$results/artifacts.log"
fi

python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/*.junit.xml")
for f in files:
    for s in ET.parse(f).getroot().iter("testsuite"):
        t = int(s.get("tests", 0)); fl = int(s.get("failures", 0)) + int(s.get("errors", 0)); sk = int(s.get("skipped", 0))
        passed += t - fl - sk; failed += fl; skipped += sk
if not files:
    print("no test results found", file=sys.stderr)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
