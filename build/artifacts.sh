#!/usr/bin/env bash
# Builds what the project ships and checks each artefact the way a user meets it:
#  - packages (artifacts/packages): the tools zrpc-conformance, zrpc-cli (command zrpc) and
#    zrpc-frame-dump, and the libraries Zrpc, Zrpc.Spec and Zrpc.Conformance.NUnit, one version
#    from git (MinVer);
#  - the example NUnit project of a .NET implementer (conformance/examples/dotnet-nunit), built
#    against that folder and run: every scenario passes, and a broken server fails citing FRAME-1;
#  - the tools installed from that folder into a fresh tool path, run against the independent
#    Python example server (tcp:// and exec:) and on a fixture capture;
#  - self-contained single-file executables (artifacts/single/RID), run from an empty directory
#    with no .NET on the machine as far as they can tell;
#  - with --aot, also the native tool packages of zrpc and frame-dump (artifacts/native-packages:
#    Native AOT for RID, framework-dependent for any other platform), installed into
#    artifacts/native-tools and run the same way; they start in tens of milliseconds but take
#    minutes to compile (docs/performance.md, "Start-up") and need clang and zlib1g-dev, installed
#    here when missing (as root). Their executables are also copied to artifacts/aot/RID.
# Usage: build/artifacts.sh [--aot] [JUNIT_FILE]   (default artifacts/test-results/artifacts.junit.xml)
# Every check is one test case of the JUnit file; the exit status is non-zero when one failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
aot_build=0
if [ "${1:-}" = --aot ]; then aot_build=1; shift; fi
junit=${1:-$root/artifacts/test-results/artifacts.junit.xml}
rid=linux-x64
packages=$root/artifacts/packages
tools=$root/artifacts/tools
single=$root/artifacts/single/$rid
aot=$root/artifacts/aot/$rid
native_packages=$root/artifacts/native-packages
native_tools=$root/artifacts/native-tools
work=$(mktemp -d)
mkdir -p "$(dirname "$junit")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

cases=()   # "name|status|message" (status: pass or fail)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

check() { # NAME COMMAND...: runs COMMAND, records its outcome with the tail of its output
  local name=$1; shift
  local log=$work/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log
  if "$@" >"$log" 2>&1; then
    cases+=("$name|pass|")
    echo "ok      $name"
  else
    local status=$?
    cases+=("$name|fail|exit $status: $(tail -n 15 "$log")")
    echo "FAILED  $name (exit $status)"; tail -n 15 "$log" | sed 's/^/        /'
  fi
}

# --- build -----------------------------------------------------------------------------------
# Only what this script made before is removed: the packages, tool path and executables below
# artifacts/, a folder the build owns.
rm -rf "$packages" "$tools" "$single" "$aot" "$native_packages" "$native_tools"
pack() {
  # One build of the solution (nothing to do after test.sh's), then every packable project of it.
  # ZRPC_ARTIFACTS_BUILT=1 (test.sh, which has just built it and runs tests beside this script):
  # nothing is rebuilt under the running tests.
  if [ "${ZRPC_ARTIFACTS_BUILT:-0}" != 1 ]; then
    dotnet build Conformance.sln -c Release -nologo -clp:NoSummary -v:q || return 1
  fi
  dotnet pack Conformance.sln -c Release --no-build -nologo -o "$packages"
}
check "pack: packages of the tools and libraries" pack
no_mutants_shipped() {
  # The mutants of the kit's self-test (conformance/SelfTest) ship in no package, not even
  # bundled inside another one.
  local nupkg found=0 seen=0
  for nupkg in "$packages"/*.nupkg; do
    [ -e "$nupkg" ] || continue
    seen=$((seen + 1))
    if unzip -Z1 "$nupkg" | grep -Ei 'selftest|mutants'; then
      echo "$(basename "$nupkg") carries the self-test's assemblies"; found=1
    fi
  done
  [ "$seen" -gt 0 ] && [ "$found" = 0 ]
}
check "packages: none carries the self-test's mutants" no_mutants_shipped
version=$(ls "$packages" 2>/dev/null | sed -n 's/^zrpc-conformance\.\(.*\)\.nupkg$/\1/p' | head -n 1)

publish() {
  for project in conformance/Zrpc.Conformance reference/Zrpc.Cli tools/frame-dump/FrameDump; do
    # IncludeAllContentForSelfExtract: Reqnroll reads file versions of loaded assemblies, which a
    # bundle only has once extracted (to $DOTNET_BUNDLE_EXTRACT_BASE_DIR, default ~/.net).
    # No other build property than the RID: the libraries stay the ones the tests use.
    dotnet publish "$project" -c Release -nologo -r "$rid" --self-contained \
      -p:PublishSingleFile=true -p:IncludeAllContentForSelfExtract=true \
      -o "$single" || return 1
  done
  rm -f "$single"/*.pdb
  rm -rf "$single/Features"   # the runner reads its built-in copy; nothing may sit beside it
  [ -x "$single/zrpc-conformance" ] && [ -x "$single/Zrpc.Cli" ] && [ -x "$single/frame-dump" ]
}
check "publish: single-file executables ($rid)" publish

# --- installed tools ---------------------------------------------------------------------------
install_tools() {
  for id in zrpc-conformance zrpc-cli zrpc-frame-dump; do
    dotnet tool install "$id" --tool-path "$tools" --add-source "$packages" --version "$version" || return 1
  done
}
check "install: dotnet tool install from the package folder" install_tools
# Culture data (ICU) costs every start of a framework-dependent tool; nothing in the tools needs it.
invariant() {
  local config found=0
  for config in $(find "$tools/.store" -name 'Zrpc.Cli.runtimeconfig.json' -o -name 'frame-dump.runtimeconfig.json' -o -name 'zrpc-conformance.runtimeconfig.json'); do
    found=$((found + 1))
    echo "$config"
    grep -q '"System.Globalization.Invariant": true' "$config" || return 1
  done
  [ "$found" = 3 ]
}
check "install: the installed tools run with invariant globalization (no ICU loaded at start)" invariant

# The Python example on a free port; its address is read from its "listening on" line.
python3 "$root/conformance/examples/python/zrpc_server.py" --listen tcp://127.0.0.1:0 --quiet \
  >/dev/null 2>"$work/python-server.log" &
pids+=($!)
address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/^listening on //p' "$work/python-server.log" | head -n 1)
  [ -n "$address" ] && break
  sleep 0.1
done

check "version: the installed tools name version, profile and commit" sh -c "
  '$tools/zrpc-conformance' --version | grep -q '^zrpc-conformance $version (protocol profile .*, commit .*)\$' &&
  '$tools/zrpc' --version | grep -q '^zrpc $version ' &&
  '$tools/frame-dump' --version | grep -q '^frame-dump $version '"
# The run line of docs/ci.md's jobs, flag for flag, in a folder of its own: a first run, so the
# baseline it names does not exist yet.
ci=$work/ci; mkdir -p "$ci"
check "installed zrpc-conformance: Python example over tcp:// (the CI jobs' run, no baseline yet)" sh -c "
  cd '$ci' && '$tools/zrpc-conformance' --target '$address' --junit conformance.junit.xml --json conformance.json --baseline baseline/conformance.json"
# As the jobs do after a passing run: this result is the next run's baseline.
mkdir -p "$ci/baseline" && cp "$ci/conformance.json" "$ci/baseline/conformance.json" 2>/dev/null
# exec: starts a process per connection; one section shows the installed adapter works (the
# whole suite runs over exec: in the tests). Against the baseline: nothing regressed.
check "installed zrpc-conformance: Python example over exec: (section rpc), against the baseline" sh -c "
  cd '$ci' && '$tools/zrpc-conformance' --target 'exec:python3 $root/conformance/examples/python/zrpc_server.py --listen stdio --quiet' --section rpc --json exec.json --baseline baseline/conformance.json"
check "installed zrpc-conformance diff: the baseline against the exec: run, nothing regressed" sh -c "
  cd '$ci' && '$tools/zrpc-conformance' diff baseline/conformance.json exec.json"
check "installed frame-dump: fixture capture matches its golden decoding" sh -c "
  '$tools/frame-dump' --color never '$root/fixtures/captures/conformance.pcap' > '$work/dump.txt' &&
  diff -u '$root/fixtures/captures/conformance.pcap.golden.txt' '$work/dump.txt'"
check "installed zrpc: call Echo on the Python example" sh -c "
  '$tools/zrpc' call Echo --connect '$address' --json '{\"x\":1}' | grep -q '\"x\"'"

# --- the in-process package in a .NET implementer's NUnit project -------------------------------
# The example restores from the package folder (its nuget.config) into a package cache of its own,
# so a package rebuilt under the same version is never taken from an older cache.
example=$root/conformance/examples/dotnet-nunit
example_test() {
  NUGET_PACKAGES=$work/nuget dotnet test "$example" -c Release -nologo -p:ZrpcKitVersion="$version" "$@"
}
example_passes() {
  example_test --logger "trx;LogFileName=example.trx" --results-directory "$work/example" || return 1
  local counters passed failed
  counters=$(grep -o '<Counters [^>]*>' "$work/example/example.trx")
  passed=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  failed=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  echo "example: $passed passed, $failed failed"
  [ "${passed:-0}" -gt 100 ] && [ "$failed" = 0 ]
}
check "Zrpc.Conformance.NUnit: the example project runs every scenario as a test case, all pass" example_passes
example_catches() {
  # The FRAME-1 scenarios against the example's server and client and, beside them, a server whose
  # frame lengths arrive big-endian: the run must fail the broken server only, citing FRAME-1.
  # Reqnroll's message stream of these three targets must keep them apart, failure included.
  local ndjson=$work/example-broken.ndjson
  if ZRPC_EXAMPLE_BROKEN_SERVER=1 REQNROLL_FORMATTERS="{\"formatters\":{\"message\":{\"outputFilePath\":\"$ndjson\"}}}" \
      example_test --no-build --filter "Category=FRAME-1" >"$work/example-broken.log" 2>&1; then
    echo "the broken server passed"; return 1
  fi
  cat "$work/example-broken.log"
  grep -q '^ *Failed frame-basic-call' "$work/example-broken.log" &&
    grep -q '^ *FRAME-1 (MUST)' "$work/example-broken.log" &&
    grep -q 'Failed: *1, Passed: *[1-9]' "$work/example-broken.log" &&
    python3 - "$ndjson" "$(sed -n 's/.*Total: *\([0-9]*\).*/\1/p' "$work/example-broken.log" | head -n 1)" <<'PY'
import json, sys
messages = [json.loads(line) for line in open(sys.argv[1])]
def of(kind): return [m[kind] for m in messages if kind in m]
cases = [c["id"] for c in of("testCase")]
started = [s["testCaseId"] for s in of("testCaseStarted")]
finished = [f["testCaseStartedId"] for f in of("testCaseFinished")]
failed = [s for s in of("testStepFinished") if s["testStepResult"]["status"] == "FAILED"]
print(f"cucumber messages: {len(cases)} test cases, {len(started)} started, {len(finished)} finished, {len(failed)} failed steps")
assert len(cases) == int(sys.argv[2]) and len(set(cases)) == len(cases), "one test case of its own per NUnit test case"
assert sorted(started) == sorted(cases), "each test case starts once"
assert sorted(finished) == sorted(s["id"] for s in of("testCaseStarted")), "each start has its finish"
assert len(failed) == 1, "the broken target's failure is in the stream"
PY
}
check "Zrpc.Conformance.NUnit: beside the example server, a broken one fails frame-basic-call citing FRAME-1; Cucumber messages keep the targets apart" example_catches

# --- single-file executables without .NET ------------------------------------------------------
# An empty directory and a PATH with nothing but python3 (for exec:) and the few tools the checks
# use (ls, grep, diff); as root, the .NET install
# is also hidden behind an empty mount, so the executable cannot fall back on it.
bare=$work/bare; mkdir -p "$bare/bin" "$bare/home" "$bare/run"
for tool in python3 ls grep diff; do ln -s "$(command -v "$tool")" "$bare/bin/$tool"; done
cp "$single/zrpc-conformance" "$single/frame-dump" "$bare/run/"
without_dotnet() {
  local hide=""
  if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
    hide="mount --bind $bare/home $(dirname "$(readlink -f "$(command -v dotnet)")") &&"
    unshare --mount /bin/sh -c "$hide cd '$bare/run' && exec env -i HOME='$bare/home' PATH='$bare/bin' /bin/sh -c \"$*\""
  else
    (cd "$bare/run" && env -i HOME="$bare/home" PATH="$bare/bin" /bin/sh -c "$*")
  fi
}
check "single-file zrpc-conformance: no dotnet on PATH, no file beside it (reference target)" \
  without_dotnet "! command -v dotnet && ls -A | grep -qx zrpc-conformance && ./zrpc-conformance --target reference"
check "single-file zrpc-conformance: Python example over tcp:// (section frame)" \
  without_dotnet "./zrpc-conformance --target $address --section frame"
check "single-file frame-dump: fixture capture matches its golden decoding" \
  without_dotnet "./frame-dump --color never $root/fixtures/captures/conformance.pcap > $work/dump-single.txt && diff -u $root/fixtures/captures/conformance.pcap.golden.txt $work/dump-single.txt"

# --- Native tool packages (--aot) --------------------------------------------------------------
# zrpc-cli and zrpc-frame-dump as RID-specific tool packages: a pointer package, the Native AOT
# build for $rid and the framework-dependent build for every other platform ("any"). `dotnet tool
# install` picks the Native AOT one here. The executables are copied to artifacts/aot/$rid for the
# bench (startup) and for use without a tool path.
if [ "$aot_build" = 1 ]; then
  native_pack() {
    if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
      [ "$(id -u)" = 0 ] || { echo "Native AOT needs clang and zlib1g-dev (run as root to install them)"; return 1; }
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev >/dev/null || return 1
    fi
    local start=$SECONDS project
    # Each pack computes its version from git again: the override keeps them all at the version
    # of the packages above, should a commit land in the meantime.
    for project in reference/Zrpc.Cli tools/frame-dump/FrameDump; do
      # A RID package takes everything in its publish folder, where a native build also copies
      # what its native folder holds: nothing from an earlier publish (its symbols, for one).
      rm -rf "$project/bin/Release/net10.0/$rid/publish" "$project/bin/Release/net10.0/$rid/native" \
        "$project/bin/Release/net10.0/any/publish"
      # The pointer package names the RID packages; it holds no build, so none is made for it.
      dotnet pack "$project" -c Release -nologo --no-build -p:ZrpcNativeTools=true -p:MinVerVersionOverride="$version" -p:IncludeSymbols=false -o "$native_packages" || return 1
      dotnet pack "$project" -c Release -nologo -r "$rid" -p:ZrpcNativeTools=true -p:MinVerVersionOverride="$version" \
        -p:DebugType=none -p:DebugSymbols=false -p:IncludeSymbols=false -o "$native_packages" || return 1
      dotnet pack "$project" -c Release -nologo -r any -p:ZrpcNativeTools=true -p:MinVerVersionOverride="$version" -p:PublishAot=false \
        -p:IncludeSymbols=false -o "$native_packages" || return 1
    done
    echo "native tool packages of zrpc and frame-dump: $((SECONDS - start)) s"
    ls -l "$native_packages"
    if unzip -Z1 "$native_packages/zrpc-cli.$rid.$version.nupkg" | grep -E '\.(dbg|pdb|dll)$' ||
      unzip -Z1 "$native_packages/zrpc-frame-dump.$rid.$version.nupkg" | grep -E '\.(dbg|pdb|dll)$'; then
      echo "a Native AOT package holds more than its executable"; return 1
    fi
    [ -e "$native_packages/zrpc-cli.$rid.$version.nupkg" ] && [ -e "$native_packages/zrpc-frame-dump.$rid.$version.nupkg" ] &&
      [ -e "$native_packages/zrpc-cli.any.$version.nupkg" ] && [ -e "$native_packages/zrpc-frame-dump.any.$version.nupkg" ]
  }
  check "pack --aot: native tool packages of zrpc and frame-dump ($rid Native AOT, any framework-dependent)" native_pack
  native_install() {
    local id command target
    for id in zrpc-cli zrpc-frame-dump; do
      dotnet tool install "$id" --tool-path "$native_tools" --add-source "$native_packages" --version "$version" || return 1
    done
    mkdir -p "$aot"
    for command in zrpc frame-dump; do
      target=$(readlink -f "$native_tools/$command")
      echo "$command -> $target"
      case $target in */"zrpc-cli.$rid"/*|*/"zrpc-frame-dump.$rid"/*) ;; *) echo "not the $rid package"; return 1 ;; esac
      [ "$(head -c 4 "$target" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "$target is not an executable of its own"; return 1; }
      if ls "$(dirname "$target")" | grep -q '\.dll$'; then echo "assemblies beside $target: not a Native AOT build"; return 1; fi
      cp "$target" "$aot/$command"
    done
  }
  check "install --aot: dotnet tool install takes the $rid Native AOT package" native_install
  # In place of the single-file frame-dump: a failed build leaves nothing there to pass for it.
  rm -f "$bare/run/frame-dump"
  cp "$aot/zrpc" "$aot/frame-dump" "$bare/run/" 2>/dev/null
  check "Native AOT zrpc and frame-dump: --version names the version, no dotnet on PATH" \
    without_dotnet "! command -v dotnet && ./zrpc --version | grep -q '^zrpc $version ' && ./frame-dump --version | grep -q '^frame-dump $version '"
  check "installed Native AOT zrpc: call Echo on the Python example" sh -c "
    '$native_tools/zrpc' call Echo --connect '$address' --json '{\"x\":1}' | grep -q '\"x\"'"
  # The server's bodies go through generated JSON metadata in this build: the kit's RPC section
  # (Echo, Fail, Source, Sink) against it shows they decode and encode as in the JIT build.
  check "installed Native AOT zrpc serve: the installed zrpc-conformance passes section rpc over exec:" \
    "$tools/zrpc-conformance" --target "exec:$native_tools/zrpc serve --listen stdio" --section rpc
  check "Native AOT frame-dump: fixture capture matches its golden decoding" \
    without_dotnet "./frame-dump --color never $root/fixtures/captures/conformance.pcap > $work/dump-aot.txt && diff -u $root/fixtures/captures/conformance.pcap.golden.txt $work/dump-aot.txt"
fi

# --- report ------------------------------------------------------------------------------------
failures=0
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo "<testsuites><testsuite name=\"artefacts\" tests=\"${#cases[@]}\" failures=\"FAILURES\" errors=\"0\" skipped=\"0\">"
  for entry in "${cases[@]}"; do
    name=${entry%%|*}; rest=${entry#*|}; status=${rest%%|*}; message=${rest#*|}
    esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
    printf '<testcase classname="artefacts" name="%s">' "$(printf '%s' "$name" | esc)"
    if [ "$status" = fail ]; then
      failures=$((failures + 1))
      printf '<failure message="check failed">%s</failure>' "$(printf '%s' "$message" | tr -d '\000-\010\013\014\016-\037' | esc)"
    fi
    echo '</testcase>'
  done
  echo '</testsuite></testsuites>'
} > "$junit.tmp"
sed "s/failures=\"FAILURES\"/failures=\"$failures\"/" "$junit.tmp" > "$junit" && rm -f "$junit.tmp"
echo "artefacts: $(( ${#cases[@]} - failures )) of ${#cases[@]} checks passed"
[ "$failures" -eq 0 ]
