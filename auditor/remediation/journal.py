"""The remediation journal: JSON Lines, one ``pending`` line per change
written (flushed and fsynced) before the change is made, and one completion
line (``done`` or ``failed``) appended after. A crash between the two leaves a
pending line with no completion: restore reports it as unknown and checks.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from .base import Change

VERSION = 1


class JournalError(Exception):
    pass


def new_run_id(now: Optional[datetime] = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sm-audit"


def default_path(run_id: str) -> Path:
    return state_dir() / f"journal-{run_id}.jsonl"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Journal:
    """Append-only writer; every line is on disk before the call it records."""

    def __init__(self, path: os.PathLike | str, run_id: str, kind: str = "remediate") -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.kind = kind  # remediate | restore
        self.seq = 0
        self._fh = None

    def _write(self, obj: dict[str, Any]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(obj, sort_keys=True, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def begin(self, change: Change, before: dict[str, Any], **extra: Any) -> str:
        self.seq += 1
        entry_id = f"{self.run_id}:{self.seq}"
        self._write({
            "v": VERSION, "id": entry_id, "run_id": self.run_id, "seq": self.seq, "kind": self.kind,
            "action": change.action, "step": change.kind, "change": change.id,
            "account": change.account, "region": change.region, "resource": change.resource,
            "name": change.name, "before": before, "after": change.after, "why": change.why,
            "status": "pending", "time": _now(), **extra,
        })
        return entry_id

    def end(self, entry_id: str, status: str, error: Optional[str] = None) -> None:
        line: dict[str, Any] = {"id": entry_id, "run_id": self.run_id, "status": status, "time": _now()}
        if error:
            line["error"] = error
        self._write(line)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    @property
    def written(self) -> bool:
        return self.seq > 0


@dataclass
class Entry:
    record: dict[str, Any]  # the pending line
    status: str  # done | failed | pending (no completion: unknown)
    error: Optional[str] = None

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def seq(self) -> int:
        return int(self.record["seq"])

    def change(self) -> Change:
        r = self.record
        return Change(id=r.get("change", ""), action=r["action"], kind=r.get("step", ""), resource=r["resource"],
                      name=r["name"], account=r["account"], region=r["region"], before=r["before"],
                      after=r.get("after") or {}, why=r.get("why", ""))


def read(path: os.PathLike | str) -> tuple[list[Entry], list[str]]:
    """Entries paired with their completions, and warnings (e.g. a torn last line)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").split("\n")
    except OSError as e:
        raise JournalError(f"{p}: cannot read journal: {e.strerror or e}") from None
    entries: dict[str, Entry] = {}
    warnings: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            if n >= len(lines) - 1:  # torn by a crash mid-write: the call after it never ran
                warnings.append(f"{p}:{n}: incomplete last line ignored")
                continue
            raise JournalError(f"{p}:{n}: not a journal line") from None
        if not isinstance(obj, dict) or "id" not in obj or "status" not in obj:
            raise JournalError(f"{p}:{n}: not a journal line")
        if obj["status"] == "pending":
            for k in ("action", "seq", "before", "name", "account", "region", "resource"):
                if k not in obj:
                    raise JournalError(f"{p}:{n}: journal entry lacks {k!r}")
            entries[obj["id"]] = Entry(obj, "pending")
        elif obj["id"] in entries:
            entries[obj["id"]].status = obj["status"]
            entries[obj["id"]].error = obj.get("error")
        else:
            warnings.append(f"{p}:{n}: completion for unknown entry {obj['id']}")
    return sorted(entries.values(), key=lambda e: (e.record.get("run_id", ""), e.seq)), warnings
