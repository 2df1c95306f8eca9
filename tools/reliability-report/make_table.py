#!/usr/bin/env python3
"""Builds the reliability table from what the runs wrote; no figure is typed by hand.

Inputs, all in the run directory (artifacts/reliability by default):
  reliability.junit.xml   outcome of every reliability test (dotnet test --logger junit)
  load.json, connection-limit.json, soak.json
                          figures the tests write when ZRPC_RELIABILITY_OUT is set (soak.json only
                          after an on-demand soak; an older one is shown with its own date)
  fuzz.log                output of the conformance runner's fuzz mode
  ../fuzz/*/summary.json  coverage-guided fuzz summaries (target, seconds, execs, execs_per_sec,
                          corpus, crashes, hangs), when present
Outputs: docs/reliability.md (whole file) and, with --readme FILE, the block between the markers in FILE.
"""
import argparse
import glob
import json
import os
import platform
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

BEGIN = "<!-- reliability-table:begin -->"
# What each coverage-guided target feeds its input to (fuzz/Zrpc.Fuzz/FuzzTargets.cs).
GUIDED_TARGETS = {
    "frames": "frame header and payload decoder",
    "messages": "message layer (frames glued into Header and Data messages)",
    "header": "RPC header JSON parser",
    "pcap": "frame-dump's pcap reader",
    "dump-stream": "frame-dump's TCP reassembly and stream decoder",
    "tcp": "frame-dump's TCP connection tracking and reassembly (synthetic segments)",
}
END = "<!-- reliability-table:end -->"


# Static text of the generated page: which settings a server open to untrusted clients needs.
PUBLIC_DEPLOYMENT = """## Settings for a public deployment

`zrpc serve` with no options (the way the README starts it) is meant to survive a handful of hostile
peers on an open port: the rows "CLI defaults" above run against exactly that. What each default
bounds, and when to change it:

| Setting (`zrpc serve`) | Default | What it bounds | Why |
|---|---|---|---|
| `--first-request-timeout` | 10 s | a new connection that sends nothing (CONN-7) | 1,024 silent sockets would otherwise hold every connection slot |
| `--idle-timeout` | 600 s | a connection idle between requests (CONN-6; 10 min is the least CONN-6 allows) | idle connections give their slots back; 0 (no limit) only where every client is trusted, as zrepl's long jobs are |
| `--max-connections` | 1024 | connections served at once; at the limit the connection idle longest (at least 1 s, nothing of a next request received) is closed for the newcomer; with none idle the newcomer is closed | memory and file handles; a flood of idle connections cannot lock real clients out |
| `--read-timeout` | 30 s | a frame or message left incomplete; a whole Header message must arrive within it from its first byte (CONN-5) | slow senders (one byte just before each timeout) |
| `--min-body-rate` | 240 bytes/s | a request body trickled after the read timeout has passed since it began (CONN-5) | a slow sender inside a large body |
| `--send-timeout` | 30 s | a write to a client that does not read what it asked for (CONN-8) | a client that asks for a large body and never reads would hold its connection and a frame buffer (about 4 MiB) for ever |
| `--max-json-body` | 64 MiB | one JSON request body (SRV-12) | one client's memory |
| `--max-json-memory` | 256 MiB | all JSON request bodies being decoded together; a body that does not fit is drained and answered RequestError (SRV-12) | many clients sending large bodies at once would take gigabytes; big buffers are not pooled, and the memory is returned to the system after a peak |
| `--max-json-depth` | 256 | nesting of a JSON request body (SRV-12) | decoder work and stack |
| (fixed) | 1,024 | zero-length frames in a row inside a message (MSG-7) | a body of endless empty frames never waits, so no timeout ends it |

`zrpc call` has the same bounds as a client: `--read-timeout` (30 s, and the whole response header
within it from its first byte), at most 1,024 empty frames in a row, and `--timeout` (600 s; 0 = no
limit) for the whole call. Raise `--timeout` for transfers that take longer.

For a public server keep these defaults or lower them; put it behind a firewall or an SSH forced
command where the clients are known, since the protocol has no authentication. Server log lines
escape control characters and cut every client-supplied string at 256 characters (marked
`…[cut: N more chars]`), so a client can neither forge log lines nor fill the log.""".split("\n")


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)  # NaN is allowed: an empty sample window has no quantile


def file_date(path):
    return datetime.fromtimestamp(os.path.getmtime(path), timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def junit_cases(path):
    """(class, name, outcome, seconds, message) for every test case; outcome passed/failed/skipped."""
    if not os.path.exists(path):
        return []
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", (child.get("message") or child.text or "").strip()
            elif child.tag == "skipped":
                outcome, message = "skipped", (child.get("message") or "").strip()
        cases.append((case.get("classname", ""), case.get("name", ""), outcome,
                      float(case.get("time") or 0), message))
    return cases


def sentence(test_name):
    name = re.sub(r"\(.*\)$", "", test_name.split(".")[-1])
    return name.replace("_", " ")


def mark(ok):
    return "held" if ok else "**FAILED**"


def outcome_of(cases, class_suffix):
    mine = [c for c in cases if c[0].endswith(class_suffix)]
    if not mine:
        return None
    return all(c[2] == "passed" for c in mine)


def parse_fuzz_log(path):
    """Counts from the conformance fuzz mode's own lines."""
    if not os.path.exists(path):
        return None
    text = open(path, encoding="utf-8", errors="replace").read()
    result = {"cases": None, "seed": None, "passed": None, "failed": None, "kinds": {}, "target": None}
    m = re.search(r"^fuzz: (\d+) cases, seed (\d+), against (.+)$", text, re.M)
    if m:
        result["cases"], result["seed"], result["target"] = int(m.group(1)), int(m.group(2)), m.group(3).strip()
    m = re.search(r"^fuzz seed (\d+): (\d+) passed, (\d+) failed", text, re.M)
    if m:
        result["seed"], result["passed"], result["failed"] = int(m.group(1)), int(m.group(2)), int(m.group(3))
    # Counts by kind, if the fuzz mode prints them: a line "fuzz ... kind(s)/mutation(s) ...: a 3, b=4".
    for line in text.splitlines():
        if re.match(r"^\s*fuzz\b[^:]*\b(kinds?|mutations?)\b[^:]*:", line, re.I):
            for name, count in re.findall(r"([A-Za-z][\w-]*)\s*[=:]?\s*(\d+)", line.split(":", 1)[1]):
                result["kinds"][name] = result["kinds"].get(name, 0) + int(count)
    return result


def build(run_dir, fuzz_root, command, seconds):
    cases = junit_cases(os.path.join(run_dir, "reliability.junit.xml"))
    soak_cases = junit_cases(os.path.join(run_dir, "soak.junit.xml"))
    load = load_json(os.path.join(run_dir, "load.json"))
    limit = load_json(os.path.join(run_dir, "connection-limit.json"))
    soak_path = os.path.join(run_dir, "soak.json")
    soak = load_json(soak_path)
    fuzz = parse_fuzz_log(os.path.join(run_dir, "fuzz.log"))
    guided = [(p, load_json(p)) for p in sorted(glob.glob(os.path.join(fuzz_root, "*", "summary.json")))]

    rows = []  # (area, tried, amount, outcome)
    if load:
        ok = outcome_of(cases, "LoadTests") and load["errors"] == 0
        rows.append((
            "Load (CI form)",
            f"{load['clients']} concurrent connections, Echo / Fail / Source 1 MiB / Sink 1 MiB, every answer verified (value, status, byte pattern, SHA-256)",
            f"{load['calls']} calls in {load['rounds']} rounds; measured round {load['verifiedCalls']} calls in {load['seconds']} s, p50 {load['p50Ms']} ms, p99 {load['p99Ms']} ms",
            f"{mark(ok)}: {load['errors']} errors; managed heap {load['heapBeforeKiB'] // 1024} → {load['heapAfterKiB'] // 1024} MiB; handles {load['handlesBefore']} → {load['handlesAfter']}"))
        hostile = load.get("hostile", [])
        rows.append((
            "Hostile clients beside the load",
            "; ".join(re.sub(r"^(cut off|still open): ", "", h).split(" after ")[0].replace(" (reset)", "") for h in hostile),
            f"{len(hostile)} clients",
            f"{mark(all(h.startswith('cut off') for h in hostile))}: " + "; ".join(hostile)))
    else:
        rows.append(("Load (CI form)", "—", "—", "**no figures** (load.json missing)"))

    if soak:
        minutes = soak["seconds"] / 60
        ok = soak["errors"] == 0 and soak["hostileStillOpen"] == 0
        soak_outcome = outcome_of(soak_cases, "SoakTests")
        if soak_outcome is not None:
            ok = ok and soak_outcome
        rows.append((
            f"Soak (on demand, run {file_date(soak_path)})",
            f"the load mix held on {soak['connections']} connections (reconnecting every few calls) with hostile clients throughout",
            f"{minutes:.1f} min, {soak['calls']} calls ({soak['callsPerSecond']}/s), p50 {soak['p50Ms']} ms, p99 {soak['p99Ms']} ms; {soak['hostileRuns']} hostile clients",
            f"{mark(ok)}: {soak['errors']} errors, {soak['hostileCutOff']} hostile cut off / {soak['hostileStillOpen']} left open; first → last third: heap {soak['heapFirstMiB']} → {soak['heapLastMiB']} MiB, working set {soak['workingSetFirstMiB']} → {soak['workingSetLastMiB']} MiB, handles {soak['handlesFirst']:.0f} → {soak['handlesLast']:.0f} (before the load {soak.get('handlesAtStart', '?')}, after it {soak.get('handlesAtEnd', '?')}), threads {soak['threadsFirst']:.0f} → {soak['threadsLast']:.0f}"))
    else:
        rows.append(("Soak (on demand)", "the load mix for minutes", "not run", "run `./reliability-report.sh --soak MINUTES`"))

    if limit:
        ok = outcome_of(cases, "ConnectionLimitTests")
        slow = limit["slowOutcomes"]
        cut_first = min(s["cutOffSeconds"] for s in slow)
        cut_last = max(s["cutOffSeconds"] for s in slow)
        while_trickling = sum(1 for s in slow if s["cutOffWhileTrickling"])
        rows.append((
            f"Connection limit ({limit['limit']})",
            f"{limit['slowSenders']} slow senders (1 B/s) + never speaks, stops mid-frame, oversize length, beside {limit['normalClients']} normal clients; one more connection at the limit",
            f"{limit['callsBesideHostile']} verified calls beside them, p50 {limit['p50Ms']} ms / p99 {limit['p99Ms']} ms (baseline {limit['baselineP50Ms']} / {limit['baselineP99Ms']} ms)",
            f"{mark(ok)}: {limit['errors']} errors; connection beyond the limit {limit['probeAtLimit']}; slow senders held their slots until cut off {cut_first:.1f}-{cut_last:.1f} s after their first byte, {while_trickling} of {len(slow)} while still trickling (a Header message must arrive whole within the read timeout, {limit['readTimeoutSeconds']:.0f} s, CONN-5); "
            + "; ".join(limit["quickOutcomes"]) + f"; newcomer served afterwards: {'yes' if limit['newcomerServed'] else 'NO'}"))

    for suffix, area in ((".FaultTests", "Fault"), (".HardeningTests", "Limit"), (".DefaultsTests", "Limit (library defaults)"), (".CliDefaultsTests", "CLI defaults (`zrpc serve`/`zrpc call` with no options)")):
        for cls, name, outcome, secs, message in [c for c in cases if c[0].endswith(suffix)]:
            rows.append((area, sentence(name), f"{secs:.1f} s", ("held" if outcome == "passed" else f"**{outcome.upper()}**") + (f": {message.splitlines()[0][:200]}" if message and outcome != "passed" else "")))

    if fuzz and fuzz["cases"] is not None:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(fuzz["kinds"].items(), key=lambda kv: -kv[1])) or "kinds not printed by the fuzz mode"
        ok = fuzz["failed"] == 0
        rows.append((
            "Bad inputs: conformance fuzz (seeded)",
            f"valid requests followed by a hostile tail, against {fuzz['target']}: {kinds}",
            f"{fuzz['cases']} inputs, seed {fuzz['seed']}",
            f"{mark(ok)}: {fuzz['passed']} answered correctly and survived, {fuzz['failed']} failed"))
    else:
        rows.append(("Bad inputs: conformance fuzz", "—", "—", "**no figures** (fuzz.log missing or unreadable)"))

    if guided:
        for path, g in guided:
            ok = g.get("crashes", 0) == 0 and g.get("hangs", 0) == 0
            target = g.get("target", "?")
            edges = f", {g['edges_found']} edges" if "edges_found" in g else ""
            rows.append((
                f"Bad inputs: coverage-guided fuzz `{target}` (run {file_date(path)})",
                f"AFL++ with SharpFuzz (`fuzz/run.sh`), seeds from fixtures/: {GUIDED_TARGETS.get(target, target)}",
                f"{g.get('execs')} inputs in {g.get('seconds')} s ({g.get('execs_per_sec')}/s), corpus {g.get('corpus')}{edges}",
                f"{mark(ok)}: {g.get('crashes')} crashes, {g.get('hangs')} hangs"))
    else:
        rows.append(("Bad inputs: coverage-guided fuzz", "—", "no summaries in artifacts/fuzz/*/summary.json", "not run (`fuzz/run.sh all SECONDS`)"))

    # One line of totals over the rows above, for the reader in a hurry.
    held_calls = (load["calls"] if load else 0) + (limit["callsBesideHostile"] + limit["baselineCalls"] if limit else 0) + (soak["calls"] if soak else 0)
    fault_cases = [c for c in cases if c[0].endswith((".FaultTests", ".HardeningTests", ".DefaultsTests", ".CliDefaultsTests"))]
    hostile_clients = (len(load.get("hostile", [])) if load else 0) + (limit["slowSenders"] + limit["quickHostile"] if limit else 0) + (soak["hostileRuns"] if soak else 0)
    bad_inputs = (fuzz["cases"] or 0 if fuzz else 0) + sum(int(g.get("execs") or 0) for _, g in guided)
    failures = [r[0] for r in rows if "FAILED" in r[3] or "no figures" in r[3]]
    summary = (f"Load held: {held_calls} verified calls. Faults and limits survived: {sum(1 for c in fault_cases if c[2] == 'passed')} of {len(fault_cases)}. "
               f"Hostile clients: {hostile_clients}. Bad inputs tried: {bad_inputs} "
               f"({fuzz['cases'] if fuzz and fuzz['cases'] else 0} seeded, {bad_inputs - (fuzz['cases'] or 0 if fuzz else 0)} coverage-guided). "
               + ("Every row held." if not failures else "Not held: " + ", ".join(failures) + "."))

    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()}, {platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs"
    table = ["| Area | What was tried | How much | Outcome |", "|---|---|---|---|"]
    table += [f"| {a} | {t} | {h} | {o} |".replace("\n", " ") for a, t, h, o in rows]
    table += ["", summary]
    stamp = f"Generated {now} on {machine} by `{command}` ({seconds} s); figures from the test and fuzz output, not typed by hand."
    all_ok = all("FAILED" not in r[3] and "no figures" not in r[3] for r in rows)
    return table, stamp, all_ok, soak


def soak_samples(soak):
    if not soak or not soak.get("samples"):
        return []
    lines = ["| t (s) | heap MiB | working set MiB | handles | threads | calls/s | p50 ms | p99 ms | errors | server connections |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in soak["samples"]:
        lines.append(f"| {s['AtSeconds']:.0f} | {s['HeapBytes'] / 1048576:.1f} | {s['WorkingSetBytes'] / 1048576:.1f} | {s['Handles']} | {s['Threads']} | {s['CallsPerSecond']:.1f} | {s['P50Ms']:.1f} | {s['P99Ms']:.1f} | {s['Errors']} | {s.get('ServerConnections', '')} |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run-dir", default="artifacts/reliability")
    ap.add_argument("--fuzz-root", default="artifacts/fuzz")
    ap.add_argument("--doc", default="docs/reliability.md")
    ap.add_argument("--readme", default=None, help="also rewrite the block between the markers in this file")
    ap.add_argument("--command", default="./reliability-report.sh")
    ap.add_argument("--seconds", default="?")
    args = ap.parse_args()

    table, stamp, all_ok, soak = build(args.run_dir, args.fuzz_root, args.command, args.seconds)
    doc = ["# Reliability figures", "", "<!-- generated by ./reliability-report.sh; do not edit by hand -->", "", stamp, ""]
    doc += table
    doc += ["", "Load, hostile clients, limits and faults: `reference/Zrpc.Tests/Reliability`. The soak (`SoakTests`, [Explicit]) runs with",
            "`./reliability-report.sh --soak MINUTES`, or alone: `ZRPC_SOAK_MINUTES=10 dotnet test reference/Zrpc.Tests -c Release --filter FullyQualifiedName~SoakTests --logger \"console;verbosity=detailed\"`.",
            "Seeded fuzz: `dotnet run --project conformance/Zrpc.Conformance -- --fuzz N --seed S`; coverage-guided fuzz: `fuzz/`.",
            "Raw figures of this run: `artifacts/reliability/*.json`, `reliability.junit.xml`, `fuzz.log`."]
    doc += [""] + PUBLIC_DEPLOYMENT
    samples = soak_samples(soak)
    if samples:
        doc += ["", "## Soak samples", ""] + samples
    os.makedirs(os.path.dirname(args.doc) or ".", exist_ok=True)
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write("\n".join(doc) + "\n")
    print(f"wrote {args.doc}")

    if args.readme:
        readme = open(args.readme, encoding="utf-8").read() if os.path.exists(args.readme) else ""
        if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
            print(f"error: {args.readme} must contain exactly one '{BEGIN}' followed by one '{END}'; "
                  f"the table is only in {args.doc}", file=sys.stderr)
            return 2
        block = "\n".join([BEGIN, "", stamp + f" Details: [{args.doc}]({args.doc}).", ""] + table + ["", END])
        start = readme.index(BEGIN)
        end = readme.index(END) + len(END)
        with open(args.readme, "w", encoding="utf-8") as f:
            f.write(readme[:start] + block + readme[end:])
        print(f"updated the reliability block of {args.readme}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
