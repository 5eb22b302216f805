"""Parser speed: MB/s on a ~1 MB plan file, peak memory, and how time grows with size.

    .venv/bin/python bench/bench_parser.py [--mb 1.0] [--runs 5]

The input mixes prose plans and task tables flattened to text: the seed page's
plans (hard wraps kept) and one task table of 30 rows rendered in each shape a
supervisor pastes (tabs, Excel's quoted copy, pipes, one cell per line with and
without blank lines, glued cells), repeated with a distinct title per copy so
the parser meets every kind of damage at every size. Targets: at least 5 MB/s,
and a 10× input taking at most 11× the time of the 1× input (linear time),
measured in the same process.

Times are the process's CPU time (best of several runs): on a shared machine
the wall clock also measures the neighbours. Wall-clock figures are printed too.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.plans import table_shapes as shapes  # noqa: E402
from tracker.plans import parse_text  # noqa: E402

SEED = ROOT / "tests" / "data" / "seed-work-plans.txt"
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
    print(f"input 1x: {mb_one:.2f} MB, {len(one.splitlines())} lines, "
          f"{len(outline.plans)} plans, {outline.item_count()} items")
    print(f"parse 1x: {t_one * 1000:.0f} ms CPU  ->  {speed:.2f} MB/s (target >= 5)"
          f"   [wall {w_one * 1000:.0f} ms, {mb_one / w_one:.2f} MB/s]")
    print(f"parse 10x ({mb_ten:.1f} MB): {t_ten * 1000:.0f} ms CPU  ->  ratio {ratio:.2f} (target <= 11)"
          f"   [wall {w_ten * 1000:.0f} ms, ratio {w_ten / w_one:.2f}]")
    print(f"peak memory for 1x (tracemalloc): {peak / 1e6:.1f} MB")
    ok = speed >= 5 and ratio <= 11
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
