#!/usr/bin/env bash
# make bench: the benchmark workload on the local servers, systems measured
# one after another on the same data; prints a table and writes
# bench/results/<date>.json ({"runs":[...]}). N and SCENARIO (A, B or AB)
# select the size and the scenarios.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
n=${N:-100000}
scenarios=${SCENARIO:-AB}
bash internal/stack/stack.sh up
make -s build
go build -o .stack/bin/bench-run ./internal/bench/run
out=bench/results/$(date +%Y-%m-%d).json
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
.stack/bin/bench-run produce -n "$n"
for sc in $(echo "$scenarios" | grep -o .); do
  .stack/bin/bench-run limit -scenario "$sc" -n "$n" -out "$tmp"
  .stack/bin/bench-run gonnect -scenario "$sc" -n "$n" -out "$tmp"
done
python3 - "$tmp" "$out" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({"runs": runs}, open(sys.argv[2], "w"), indent=2)
print(f"{'system':10} {'scen':4} {'records':>9} {'rec/s':>10} {'cpu s':>7} {'peak RSS MiB':>13}")
for r in runs:
    print(f"{r['system']:10} {r['scenario']:4} {r['records']:>9} {r['records_per_sec']:>10.0f} {r['cpu_seconds']:>7.2f} {r['peak_rss_bytes']/2**20:>13.0f}")
for sc in sorted({r['scenario'] for r in runs}):
    by = {r['system']: r for r in runs if r['scenario'] == sc}
    if 'limit' in by and 'gonnect' in by:
        print(f"scenario {sc}: gonnect / limit = {by['gonnect']['records_per_sec'] / by['limit']['records_per_sec']:.2f}")
print("reference (Apache Connect + a Cassandra sink plugin): not measured yet")
print("wrote", sys.argv[2])
PY
