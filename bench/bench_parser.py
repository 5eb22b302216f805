"""Parser speed (MB/s on a ~1 MB plan file, peak memory, growth with size) and the CLI's start.

    .venv/bin/python bench/bench_parser.py [--mb 1.0] [--runs 7] [--starts 15]

The input mixes prose plans and task tables flattened to text: the seed page's
plans (hard wraps kept) and one task table of 30 rows rendered in each shape a
supervisor pastes (tabs, Excel's quoted copy, pipes, one cell per line with and
without blank lines, glued cells), repeated with a distinct title per copy so
the parser meets every kind of damage at every size. Targets: at least 10 MB/s,
and a 10x input taking at most 11x the time of the 1x input (linear time),
measured in the same process. A baseline in the same run reads the same text
line by line (split, strip, one regular expression per line), so a figure from a
loaded machine can be read against it.

Times are the process's CPU time (best of several runs): on a shared machine
the wall clock also measures the neighbours. Wall-clock figures are printed too.

The CLI's start: ``python -m tracker.plans`` on a short .txt, best of ``--starts``
runs (CPU time of the child), next to a bare ``python -c pass`` in the same run; target < 80 ms. Bytecode
is cached in a temporary folder (as an installed app has its .pyc files), so the
figure is the imports and the parse, not compiling the sources.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.plans import table_shapes as shapes  # noqa: E402
from tracker.plans import parse_text  # noqa: E402

SEED = ROOT / "tests" / "data" / "seed-work-plans.txt"
SHORT_PLAN = ROOT / "tests" / "data" / "plans" / "gov-work-points.txt"
TARGET_MB_S = 10
TARGET_START_MS = 80
TABLE_SHAPES = ("tabs", "excel_copy", "pipes", "one_cell_per_line", "one_cell_per_line_blank", "glued")


def _table() -> shapes.Table:
    """A 30-row task table with every kind of column, several units a cell and a section row."""
    columns = ["number", "text", "leaders", "lead_units", "support_units", "deadline_text"]
    headers = ["序号", "重点任务", "责任领导", "牵头单位", "配合单位", "完成时限"]
    rows = []
    for n in range(1, 31):
        row = shapes.Row(str(n), shapes.TASKS[n % len(shapes.TASKS)])
        row.cells = {
            "leaders": [shapes.LEADERS[n % len(shapes.LEADERS)]],
            "lead_units": [shapes.UNITS[n % len(shapes.UNITS)]],
            "support_units": [shapes.UNITS[(n + k) % len(shapes.UNITS)] for k in (3, 5)],
            "deadline_text": [shapes.DEADLINES[n % len(shapes.DEADLINES)]],
        }
        if n in (1, 16):
            row.section = shapes.SECTIONS[n // 16]
        rows.append(row)
    return shapes.Table(columns, headers, rows)


def build(size_bytes: int) -> str:
    """Seed plans and flattened tables repeated until the text reaches ``size_bytes`` of UTF-8."""
    seed = SEED.read_text(encoding="utf-8")
    table = _table()
    tables = [shapes.TEXT_SHAPES[shape](table) for shape in TABLE_SHAPES]
    chunks: list[str] = []
    total = 0
    copy = 0
    while total < size_bytes:
        copy += 1
        # a distinct title per copy so every copy is a plan of its own
        chunk = seed.replace("工作计划和总结范文第", f"第{copy}组工作计划和总结范文第")
        for k, text in enumerate(tables):
            chunk += f"\n示范县第{copy}组第{k + 1}号重点工作任务分解表\n" + text + "\n"
        chunks.append(chunk)
        total += len(chunk.encode("utf-8"))
    return "".join(chunks)


_BASELINE_RE = re.compile(r"^[一二三四五六七八九十]+、|^\d+[.、．]")


def baseline_time(text: str, runs: int) -> float:
    """Best CPU seconds to read ``text`` line by line: split, strip and one pattern per line."""
    best = float("inf")
    for _ in range(runs):
        cpu = time.process_time()
        found = 0
        for line in text.split("\n"):
            if _BASELINE_RE.match(line.strip()):
                found += 1
        best = min(best, time.process_time() - cpu)
    return best


def cli_start(runs: int) -> dict[str, tuple[float, float]]:
    """Best (CPU, wall) seconds of ``python -c pass`` and of the CLI on a short .txt, run in turn.

    CPU is the child's user + system time: on a shared machine its wall clock mostly measures the
    wait for a core."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = {"bare": [sys.executable, "-c", "pass"],
                    "cli": [sys.executable, "-m", "tracker.plans", str(SHORT_PLAN)]}
        best = {name: (float("inf"), float("inf")) for name in commands}
        for command in commands.values():  # writes the .pyc files
            subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        for _ in range(runs):
            for name, command in commands.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


def best_times(one: str, ten: str, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (CPU, wall) seconds for each input, the two sizes run in turn so both see the same load."""
    best = {"one": [float("inf")] * 2, "ten": [float("inf")] * 2}
    for _ in range(runs):
        for name, text in (("one", one), ("ten", ten)):
            cpu, wall = time.process_time(), time.perf_counter()
            parse_text(text)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[name][0] = min(best[name][0], cpu)
            best[name][1] = min(best[name][1], wall)
    (c1, w1), (c10, w10) = best["one"], best["ten"]
    return (c1, w1), (c10, w10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=1.0, help="size of the 1x input in MB")
    ap.add_argument("--runs", type=int, default=7, help="runs per size; the best is kept")
    ap.add_argument("--starts", type=int, default=15, help="CLI starts; the best is kept")
    args = ap.parse_args()

    one = build(int(args.mb * 1_000_000))
    ten = build(int(args.mb * 10_000_000))
    mb_one = len(one.encode("utf-8")) / 1e6
    mb_ten = len(ten.encode("utf-8")) / 1e6
    outline = parse_text(one)

    (t_one, w_one), (t_ten, w_ten) = best_times(one, ten, args.runs)

    tracemalloc.start()
    parse_text(one)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    speed = mb_one / t_one
    ratio = t_ten / t_one
    baseline = baseline_time(one, args.runs)
    starts = cli_start(args.starts)
    (bare, bare_wall), (cli, cli_wall) = starts["bare"], starts["cli"]
    print(f"input 1x: {mb_one:.2f} MB, {len(one.splitlines())} lines, "
          f"{len(outline.plans)} plans, {outline.item_count()} items")
    print(f"parse 1x: {t_one * 1000:.0f} ms CPU  ->  {speed:.2f} MB/s (target >= {TARGET_MB_S}: "
          f"{'met' if speed >= TARGET_MB_S else 'NOT met'})   [wall {w_one * 1000:.0f} ms, {mb_one / w_one:.2f} MB/s]")
    print(f"  baseline, the same text read line by line with one pattern: {baseline * 1000:.0f} ms CPU "
          f"({mb_one / baseline:.0f} MB/s); the parse takes {t_one / baseline:.1f}x the baseline")
    print(f"parse 10x ({mb_ten:.1f} MB): {t_ten * 1000:.0f} ms CPU  ->  ratio {ratio:.2f} (target <= 11: "
          f"{'met' if ratio <= 11 else 'NOT met'})   [wall {w_ten * 1000:.0f} ms, ratio {w_ten / w_one:.2f}]")
    print(f"peak memory for 1x (tracemalloc): {peak / 1e6:.1f} MB")
    print(f"CLI start on a {SHORT_PLAN.stat().st_size / 1000:.0f} kB .txt: {cli * 1000:.0f} ms CPU, bare interpreter "
          f"{bare * 1000:.0f} ms in the same run ({cli / bare:.1f}x)  (target < {TARGET_START_MS} ms: "
          f"{'met' if cli * 1000 < TARGET_START_MS else 'NOT met'})   "
          f"[wall {cli_wall * 1000:.0f} ms, bare {bare_wall * 1000:.0f} ms]")
    ok = speed >= TARGET_MB_S and ratio <= 11 and cli * 1000 < TARGET_START_MS
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
