"""The ledger's .xlsx: 100,000 rows written by XlsxWriter (constant-memory mode, the app's writer)
against the hand-written SpreadsheetML writer it replaced, on the same rows in the same run.

Target: the XlsxWriter ledger takes at most 2x the CPU time of the hand-written one (CPU time, as
the machine may be busy with other work; the wall-clock ratio is printed too). Also printed: the
CSV of the same rows and the file sizes. The clocks run without tracing: tracemalloc slows
a writer many times over, so memory is not measured here.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import spreadsheetml_baseline  # noqa: E402

from tracker.app import create_app  # noqa: E402
from tracker.reports import exports, ledger  # noqa: E402

ROWS = 100_000
RUNS = 3
TARGET = 2.0


def make_rows(rng: random.Random) -> list[list]:
    units = [f"第{i}责任单位" for i in range(60)]
    plans = [f"2026年重点工作实施方案（第{i}批）" for i in range(5)]
    texts = [f"围绕中心工作推进第{i}项重点任务，确保按期完成并形成可检验成果。" for i in range(400)]
    rows = []
    for n in range(1, ROWS + 1):
        due = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        extended = due + timedelta(days=30) if rng.random() < 0.1 else None
        completed = due - timedelta(days=rng.randrange(30)) if rng.random() < 0.4 else None
        rows.append([n, rng.choice(plans), f"{rng.randrange(1, 9)}、（{rng.randrange(1, 9)}）{rng.randrange(1, 20)}.",
                     rng.choice(texts), rng.choice(units), rng.choice(("牵头", "配合")), f"责任人{n % 977}", due,
                     extended, completed, rng.choice(("办理中", "已办结", "待审核")),
                     rng.choice(("绿灯", "红灯", "黄灯（临期）", "黄灯（滞后）")),
                     f"已完成第{n % 50}阶段工作" if rng.random() < 0.7 else "", rng.randrange(5), rng.randrange(3)])
    return rows


def timed(write) -> tuple[float, float, int]:
    """Wall-clock seconds, CPU seconds and bytes written of one run."""
    with tempfile.TemporaryFile() as out:
        start, start_cpu = time.perf_counter(), time.process_time()
        write(out)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        out.seek(0, os.SEEK_END)
        return elapsed, cpu, out.tell()


def main() -> int:
    app = create_app({"CONFIG": "testing", "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-ledger-")})
    rows = make_rows(random.Random(15))
    with app.test_request_context():
        headers, widths, kinds = ledger.headers(), ledger.widths(), ledger.kinds()

        def baseline(out):
            for chunk in spreadsheetml_baseline.xlsx_chunks(iter(rows), headers, widths, title="任务台账"):
                out.write(chunk)

        def xlsxwriter(out):
            exports.write_xlsx(iter(rows), headers, widths, kinds, title="台账", today=date(2026, 7, 1), out=out)

        def csv(out):
            for chunk in exports.csv_chunks(iter(rows), headers, title="台账", today=date(2026, 7, 1)):
                out.write(chunk)

        wall, cpu = {}, {}
        for label, write in (("hand-written SpreadsheetML", baseline), ("XlsxWriter constant_memory", xlsxwriter),
                             ("CSV", csv)):
            runs = [timed(write) for _i in range(RUNS)]
            wall[label] = statistics.median(r[0] for r in runs)
            cpu[label] = statistics.median(r[1] for r in runs)
            print(f"{label:28s} {ROWS:,} rows: {cpu[label]:5.2f} s CPU, {wall[label]:5.2f} s wall (medians of {RUNS}),"
                  f" {runs[0][2] / 1e6:5.1f} MB")
    new, old = "XlsxWriter constant_memory", "hand-written SpreadsheetML"
    ratio = cpu[new] / cpu[old]
    met = ratio <= TARGET
    print(f"ratio XlsxWriter / hand-written: {ratio:.2f}x CPU, {wall[new] / wall[old]:.2f}x wall"
          f"  (target <= {TARGET:.0f}x CPU: {'met' if met else 'NOT met'})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
