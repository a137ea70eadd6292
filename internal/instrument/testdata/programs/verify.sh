#!/usr/bin/env bash
# verify.sh checks each program in this directory against its truth.json,
# run plainly (not traced): it vets and builds the module, runs the binary
# with the truth's args from the program's own directory, and compares the
# exit status, stdout and fatal message; it also checks that the
# "// handoff:leak" and "// handoff:deadlock" comments in the source sit on
# exactly the lines that truth.json lists.
#
# Usage: ./verify.sh [-race] [-n RUNS] [PROGRAM...]
#   -race     build with the race detector (a report fails the run: exit 66)
#   -n RUNS   run each program RUNS times (default 1)
#
# It builds with `go build` rather than `go run`, because `go run` turns
# every failing exit status into 1. A run that takes more than 60 s is
# killed and fails. Under -race, Go never reports "all goroutines are
# asleep" (golang/go#20588, open): a program whose truth is a fatal
# deadlock must then still be running after 10 s, and is killed. Needs go,
# python3 and timeout (coreutils).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
race=()
runs=1
while [ $# -gt 0 ]; do
	case $1 in
	-race) race=(-race); shift ;;
	-n) runs=$2; shift 2 ;;
	-*) echo "verify.sh: unknown flag $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -gt 0 ]; then
	programs=("$@")
else
	programs=()
	for d in "$here"/*/; do
		[ -f "$d/truth.json" ] && programs+=("$(basename "$d")")
	done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
for prog in "${programs[@]}"; do
	dir=$here/$prog
	if [ ! -f "$dir/truth.json" ]; then
		echo "FAIL $prog: no $dir/truth.json"
		failed=1
		continue
	fi
	if ! (cd "$dir" && go vet ./... && go build "${race[@]}" -o "$tmp/$prog" .) >"$tmp/$prog.build" 2>&1; then
		echo "FAIL $prog: vet or build"
		sed 's/^/    /' "$tmp/$prog.build"
		failed=1
		continue
	fi
	mapfile -t args < <(python3 -c 'import json,sys; [print(a) for a in json.load(open(sys.argv[1]))["args"]]' "$dir/truth.json")
	for ((run = 1; run <= runs; run++)); do
		set +e
		limit=60s
		if [ ${#race[@]} -gt 0 ] && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fatal"])' "$dir/truth.json")" = deadlock ]; then
			limit=10s
		fi
		(cd "$dir" && GORACE=exitcode=66 timeout "$limit" "$tmp/$prog" "${args[@]}" >"$tmp/out" 2>"$tmp/err")
		status=$?
		set -e
		if python3 - "$dir" "$status" "$tmp/out" "$tmp/err" "${#race[@]}" <<'PY'
import json, os, re, sys

dir, status, out_path, err_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
race = sys.argv[5] != "0"
truth = json.load(open(os.path.join(dir, "truth.json")))
want_exit, want_fatal = truth["exit"], truth["fatal"]
if race and want_fatal == "deadlock":
    # golang/go#20588: the race runtime keeps Go from seeing the deadlock.
    want_exit, want_fatal = 124, ""
out = open(out_path, encoding="utf-8", errors="replace").read()
err = open(err_path, encoding="utf-8", errors="replace").read()
problems = []

if status == 66 or "WARNING: DATA RACE" in err:
    problems.append("data race reported")
if status == 124 and want_exit != 124:
    problems.append("killed: still running after the time limit")
elif status != want_exit:
    problems.append(f"exit status {status}, expected {want_exit}")
if truth["stdout"] is not None:
    if out != truth["stdout"]:
        problems.append(f"stdout {out!r}, truth says {truth['stdout']!r}")
else:
    if "stdout_lines" in truth and out.count("\n") != truth["stdout_lines"]:
        problems.append(f"stdout has {out.count(chr(10))} lines, truth says {truth['stdout_lines']}")
    if "stdout_match" in truth and not re.fullmatch(truth["stdout_match"], out):
        problems.append(f"stdout {out!r} does not match {truth['stdout_match']!r}")

deadlocked = "fatal error: all goroutines are asleep - deadlock!" in err
panicked = re.search(r"^panic: ", err, re.M) is not None and "goroutine " in err
fatal = "deadlock" if deadlocked else "panic" if panicked else ""
if fatal != want_fatal:
    problems.append(f"fatal {fatal!r}, expected {want_fatal!r}")

# The marker comments must sit on exactly the lines the truth lists.
for kind in ("leak", "deadlock"):
    key = "leaks" if kind == "leak" else "deadlock"
    listed = {(e["file"], e["line"]) for e in truth[key]}
    marked = set()
    for root, _, files in os.walk(dir):
        for name in files:
            if not name.endswith(".go"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, dir)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                if re.search(r"//.*\bhandoff:" + kind + r"\b", line):
                    marked.add((rel, n))
    if listed != marked:
        problems.append(f"{key}: truth lists {sorted(listed)}, source marks {sorted(marked)}")

for p in problems:
    print("    " + p)
sys.exit(1 if problems else 0)
PY
		then
			if [ "$status" = 124 ]; then
				echo "ok   $prog (run $run: still blocked after $limit, killed: golang/go#20588)"
			else
				echo "ok   $prog (run $run: exit $status)"
			fi
		else
			echo "FAIL $prog (run $run)"
			sed 's/^/    stderr: /' "$tmp/err" | head -20
			failed=1
		fi
	done
done
exit $failed
