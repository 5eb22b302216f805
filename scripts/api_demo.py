#!/usr/bin/env python3
"""End-to-end walk through the documented API, over HTTP, with the standard library only.

    python scripts/api_demo.py --base-url http://127.0.0.1:5000 \\
        --supervisor-token dbn_... --lead-token dbn_... --units xq-jyj,xq-wjw

1. the supervisor imports a plan file (parse and save, active) and picks its first measure;
2. assigns that measure to two units (unit codes; the lead's unit among them);
3. the unit lead finds the task, starts it, uploads evidence and submits it;
4. the supervisor approves it.

Prints each step; exits 1 with the API's error message when a call fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib import error, parse, request

DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed-work-plans.txt"
#: a minimal valid PDF, as the evidence file
EVIDENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


class ApiFailure(Exception):
    pass


class Client:
    """A bearer-token JSON client for /api/v1."""

    def __init__(self, base_url: str, token: str, timeout: float = 60) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.timeout = timeout

    def _send(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        req = request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with request.urlopen(req, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except error.HTTPError as exc:
            try:
                detail = json.loads(exc.read().decode("utf-8"))["error"]
                message = f"{detail['code']}: {detail['message']}"
            except (ValueError, KeyError, TypeError):
                message = exc.reason
            raise ApiFailure(f"{method} {path} → {exc.code} {message}") from None

    def get(self, path: str, **params: Any) -> Any:
        query = ("?" + parse.urlencode(params)) if params else ""
        return self._send("GET", path + query)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._send("POST", path, json.dumps(payload).encode("utf-8"), "application/json")

    def upload(self, path: str, files: list[tuple[str, bytes, str]], fields: dict[str, str]) -> Any:
        """multipart/form-data: each file as a "file" part (name, content, media type)."""
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                         + value.encode("utf-8") + b"\r\n")
        for filename, content, media in files:
            quoted = parse.quote(filename)
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"; '
                    f"filename*=UTF-8''{quoted}\r\nContent-Type: {media}\r\n\r\n")
            parts.append(head.encode("utf-8") + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self._send("POST", path, body, f"multipart/form-data; boundary={boundary}")


def first_measure(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first leaf item of the outline that is a measure (headings cannot be assigned)."""
    for item in items:
        if item["children"]:
            found = first_measure(item["children"])
            if found:
                return found
        elif item["kind"] == "measure":
            return item
    return None


def run(args: argparse.Namespace, out: Any = sys.stdout) -> dict[str, Any]:
    supervisor = Client(args.base_url, args.supervisor_token)
    lead = Client(args.base_url, args.lead_token)

    units = {u["code"]: u for u in supervisor.get("/units")["items"]}
    codes = [c.strip() for c in args.units.split(",") if c.strip()]
    missing = [c for c in codes if c not in units]
    if len(codes) != 2 or missing:
        raise ApiFailure(f"--units needs two known unit codes; unknown: {', '.join(missing) or '-'}")
    unit_ids = [units[c]["id"] for c in codes]

    plan_file = Path(args.plan_file)
    created = supervisor.upload("/plans", [(plan_file.name, plan_file.read_bytes(), "text/plain")],
                                {"activate": "true"})
    plans = created["plans"]
    print(f"1. imported {len(plans)} plan(s) from {plan_file.name}", file=out)
    plan = measure = None
    for candidate in plans:
        measure = first_measure(candidate["items"])
        if measure:
            plan = candidate
            break
    if plan is None or measure is None:
        raise ApiFailure("the plan has no measure to assign")
    print(f"   plan {plan['id']} 《{plan['title']}》, measure {measure['id']}: {measure['number']} "
          f"{measure['text'][:30]}", file=out)

    due_on = (date.today() + timedelta(days=args.days)).isoformat()
    tasks = supervisor.post(f"/plans/{plan['id']}/assignments", {
        "measure_ids": [measure["id"]], "unit_ids": unit_ids, "role": "lead", "due_on": due_on,
        "reporting_period": "once", "is_key": True, "evidence_required": True})["tasks"]
    print(f"2. assigned to {', '.join(t['unit_name'] for t in tasks)} (due {due_on})", file=out)

    mine = lead.get("/tasks", plan_id=plan["id"])["items"]
    task = next((t for t in mine if t["measure_id"] == measure["id"]), None)
    if task is None:
        raise ApiFailure("the unit lead sees no task for the measure: is the lead's unit in --units?")
    lead.post(f"/tasks/{task['id']}/transitions", {"action": "start"})
    evidence = lead.upload(f"/tasks/{task['id']}/evidence", [("落实情况佐证.pdf", EVIDENCE_PDF, "application/pdf")],
                           {"note": "工作专班成立文件",
                            "period_key": f"{date.today().year}-H{1 if date.today().month <= 6 else 2}"})["items"]
    submitted = lead.post(f"/tasks/{task['id']}/transitions", {"action": "submit", "note": "已按要求完成，请审核。"})
    print(f"3. {task['unit_name']}: task {task['id']} started, {len(evidence)} file(s) uploaded, "
          f"state {submitted['state']}", file=out)

    approved = supervisor.post(f"/tasks/{task['id']}/transitions", {"action": "approve", "note": "同意办结。"})
    print(f"4. approved: task {approved['id']} is {approved['state']}", file=out)
    return {"plan_id": plan["id"], "measure_id": measure["id"], "task_id": approved["id"],
            "state": approved["state"], "tasks": [t["id"] for t in tasks]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--supervisor-token", required=True)
    parser.add_argument("--lead-token", required=True)
    parser.add_argument("--units", required=True, help="two unit codes, comma separated; the lead's unit first")
    parser.add_argument("--plan-file", default=str(DEFAULT_PLAN))
    parser.add_argument("--days", type=int, default=90, help="deadline, in days from today")
    args = parser.parse_args(argv)
    try:
        result = run(args)
    except ApiFailure as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result), file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
