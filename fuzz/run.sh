#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders with AFL++ and SharpFuzz. See fuzz/README.md.
#
#   fuzz/run.sh TARGET [SECONDS]   fuzz one target for SECONDS (default 60)
#   fuzz/run.sh all [SECONDS]      every target, SECONDS each, as many at once as there are cores
#   fuzz/run.sh list               the targets
#
# Environment:
#   FUZZ_RESUME=1       continue from the corpus of the previous run instead of the seeds
#   FUZZ_JOBS=N         targets fuzzed at once by "all" (default: the number of cores)
#   FUZZ_TIMEOUT_MS=N   per-input time limit before AFL calls it a hang (default 5000)
#   FUZZ_HEAP_LIMIT=N   GC heap limit of the fuzzed process in bytes (default 0x20000000, 512 MiB):
#                       unbounded allocation becomes an OutOfMemoryException, i.e. a crash AFL
#                       records, instead of a machine-wide out-of-memory kill
#
# Writes artifacts/fuzz/TARGET/summary.json and AFL's findings under artifacts/fuzz/TARGET/afl/.
# Exits 1 when a crash or hang was found (its reproducer paths are printed), 2 on usage or setup errors.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
targets=(frames messages header pcap dump-stream tcp)
work="$here/.work"
bin="$work/bin"
tools="$here/.tools"
artifacts="$root/artifacts/fuzz"
timeout_ms="${FUZZ_TIMEOUT_MS:-5000}"
heap_limit="${FUZZ_HEAP_LIMIT:-0x20000000}"

usage() {
    echo "usage: fuzz/run.sh TARGET|all [SECONDS]   (targets: ${targets[*]})" >&2
    exit 2
}

log() { echo "fuzz: $*" >&2; }

[[ $# -ge 1 && $# -le 2 ]] || usage
what="$1"
seconds="${2:-60}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || usage
if [[ "$what" == list ]]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi
if [[ "$what" == all ]]; then
    selected=("${targets[@]}")
else
    [[ " ${targets[*]} " == *" $what "* ]] || usage
    selected=("$what")
fi

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root to run: $*"; exit 2
    fi
}

# apt-get install, refreshing the package lists only when the package is not known yet.
apt_install() {
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; then
        as_root apt-get update -q >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    fi
}

setup() {
    local started=$SECONDS
    if ! command -v afl-fuzz >/dev/null; then
        log "installing afl++"
        apt_install afl++
    fi
    if ! ldconfig -p 2>/dev/null | grep -q 'libpcap\.so'; then
        log "installing libpcap0.8 (frame-dump reads captures with it)"
        apt_install libpcap0.8
    fi
    if [[ ! -x "$tools/sharpfuzz" ]]; then
        log "installing the sharpfuzz tool into fuzz/.tools"
        dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
    fi

    log "building fuzz/Zrpc.Fuzz"
    dotnet build "$here/Zrpc.Fuzz" -c Release -nologo -v q >"$work/build.log" 2>&1 || {
        cat "$work/build.log" >&2; exit 2; }

    # Instrument copies: the build output itself stays plain for the regression tests.
    rm -rf "$bin"
    mkdir -p "$bin"
    cp -a "$here/Zrpc.Fuzz/bin/Release/net10.0/." "$bin/"
    for assembly in Zrpc.dll frame-dump.dll PacketDotNet.dll; do
        if ! "$tools/sharpfuzz" "$bin/$assembly" >"$work/instrument.log" 2>&1; then
            cat "$work/instrument.log" >&2
            if [[ "$assembly" == PacketDotNet.dll ]]; then
                log "PacketDotNet.dll could not be instrumented; the pcap target gets no coverage inside it"
            else
                exit 2
            fi
        fi
    done
    log "setup took $((SECONDS - started)) s"
}

# Reads one field of AFL's fuzzer_stats ("name : value").
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2; exit }' "$2"; }

num() { [[ "$1" =~ ^[0-9.]+$ ]] && echo "$1" || echo 0; }

fuzz_one() {
    local target="$1" out="$artifacts/$1"
    local findings="$out/afl" seeds="$work/seeds/$1" input
    mkdir -p "$out"
    rm -rf "$seeds"
    dotnet "$bin/Zrpc.Fuzz.dll" seeds "$target" "$seeds" "$root/fixtures" >/dev/null
    if [[ "${FUZZ_RESUME:-0}" == 1 && -f "$findings/default/fuzzer_stats" ]]; then
        input=-
        log "$target: resuming from $findings"
    else
        rm -rf "$findings"
        input="$seeds"
    fi

    log "$target: fuzzing for $seconds s"
    local started=$SECONDS
    # Container-friendly AFL settings: no CPU frequency check, no core_pattern requirement, no UI,
    # no CPU pinning (the cores are shared). dotnet itself carries no AFL instrumentation: the
    # instrumented assemblies report coverage through SharpFuzz's fork server.
    AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_SKIP_BIN_CHECK=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_NO_WARN_INSTABILITY=1 \
    DOTNET_GCHeapHardLimit="$heap_limit" \
        afl-fuzz -i "$input" -o "$findings" -V "$seconds" -t "$timeout_ms" -m none \
        -- dotnet "$bin/Zrpc.Fuzz.dll" "$target" >"$out/afl.log" 2>&1 || {
            tail -n 30 "$out/afl.log" >&2
            log "$target: afl-fuzz failed (log: $out/afl.log)"
            return 2
        }

    local stats="$findings/default/fuzzer_stats"
    local execs eps corpus crashes hangs stability coverage edges
    execs=$(num "$(stat execs_done "$stats")")
    eps=$(num "$(stat execs_per_sec "$stats")")
    corpus=$(num "$(stat corpus_count "$stats")")
    crashes=$(num "$(stat saved_crashes "$stats")")
    hangs=$(num "$(stat saved_hangs "$stats")")
    stability=$(stat stability "$stats"); stability=$(num "${stability%\%}")
    coverage=$(stat bitmap_cvg "$stats"); coverage=$(num "${coverage%\%}")
    edges=$(num "$(stat edges_found "$stats")")
    cat >"$out/summary.json" <<EOF
{"target":"$target","seconds":$seconds,"wall_seconds":$((SECONDS - started)),"execs":$execs,"execs_per_sec":$eps,"corpus":$corpus,"crashes":$crashes,"hangs":$hangs,"stability":$stability,"edges_found":$edges,"bitmap_coverage_percent":$coverage}
EOF
    log "$target: $(cat "$out/summary.json")"

    if [[ "$crashes" != 0 || "$hangs" != 0 ]]; then
        local file
        for file in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
            [[ -e "$file" ]] || continue
            echo "REPRODUCER $target $file"
        done
        # The stack of the first crashes, from the plain (uninstrumented) build, in process.
        local shown=0
        for file in "$findings"/default/crashes/id:*; do
            [[ -e "$file" && $shown -lt 3 ]] || continue
            shown=$((shown + 1))
            DOTNET_GCHeapHardLimit="$heap_limit" timeout 120 \
                dotnet "$here/Zrpc.Fuzz/bin/Release/net10.0/Zrpc.Fuzz.dll" replay "$target" "$file" >&2 || true
        done
        return 1
    fi
    return 0
}

mkdir -p "$work" "$artifacts"
setup
status=0
# One afl-fuzz drives one process on one core: as many targets run at once as there are cores.
# They all run for the same seconds, so the oldest is the next to end.
at_once="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
[[ "$at_once" =~ ^[1-9][0-9]*$ ]] || at_once=1
running=()
reap_oldest() {
    local rc=0
    wait "${running[0]}" || rc=$?
    [[ $rc -le $status ]] || status=$rc
    running=("${running[@]:1}")
}
for target in "${selected[@]}"; do
    [[ ${#running[@]} -lt $at_once ]] || reap_oldest
    fuzz_one "$target" &
    running+=($!)
done
while [[ ${#running[@]} -gt 0 ]]; do reap_oldest; done
if [[ ${#selected[@]} -gt 1 ]]; then
    # One file with every target's figures, for the README table.
    {
        echo "["
        first=1
        for target in "${selected[@]}"; do
            [[ -f "$artifacts/$target/summary.json" ]] || continue
            [[ $first == 1 ]] || echo ","
            first=0
            cat "$artifacts/$target/summary.json"
        done
        echo "]"
    } >"$artifacts/summary.json"
fi
exit $status
