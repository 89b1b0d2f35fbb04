"""`make bench`: run every benchmarks/bench_*.py and print one table of figures vs budgets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: Path) -> list[dict]:
    print(f"== {script.name}", flush=True)
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=HERE.parent, capture_output=True, text=True
    )
    results = []
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            results.append({"script": script.name, **json.loads(line[7:])})
        else:
            print("   " + line)
    # Exit status 1 with RESULT lines means "a figure is over budget", which the table shows.
    if proc.returncode != 0 and ("Traceback" in proc.stderr or not results):
        print(proc.stderr[-2000:])
        results.append({"script": script.name, "metric": "(script failed)", "value": float("nan"),
                        "unit": "", "budget": 0, "ok": False})  # fmt: skip
    return results


def main() -> int:
    only = set(sys.argv[1:])
    scripts = [s for s in sorted(HERE.glob("bench_*.py")) if not only or s.stem in only]
    results = [r for script in scripts for r in run(script)]
    print("\n| benchmark | metric | measured | budget | |\n| --- | --- | --- | --- | --- |")
    for r in results:
        mark = "OK" if r["ok"] else "OVER"
        print(
            f"| {r['script']} | {r['metric']} | {r['value']} {r['unit']} | {r['budget']} | {mark} |"
        )
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
