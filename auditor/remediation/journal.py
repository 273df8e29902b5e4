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
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .base import Change

VERSION = 1


class JournalError(Exception):
    pass


def new_run_id(now: Optional[datetime] = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def state_dir() -> Path:
    """Default home of journals. SM_AUDIT_STATE_DIR (the sandbox sets it to
    its own directory) comes first, then the XDG state directory."""
    if os.environ.get("SM_AUDIT_STATE_DIR"):
        return Path(os.environ["SM_AUDIT_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sm-audit"


def default_path(run_id: str) -> Path:
    return state_dir() / f"journal-{run_id}.jsonl"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def s3_location(path: Any) -> Optional[tuple[str, str]]:
    """(bucket, prefix) of an ``s3://bucket/prefix/`` journal, else None."""
    text = str(path)
    if not text.startswith("s3://"):
        return None
    from ..s3 import S3Error, split

    try:
        bucket, prefix = split(text)
    except S3Error:
        raise JournalError(f"{text}: an S3 journal is s3://BUCKET/PREFIX/") from None
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def _s3() -> Any:
    from ..s3 import client

    return client()


class Journal:
    """Append-only writer; every record is durable before the call it records:
    a local file line (flushed and fsynced), or with ``s3://bucket/prefix/``
    one S3 object per record (a scheduled task's disk is gone after the run;
    a PutObject that returned is stored)."""

    def __init__(self, path: os.PathLike | str, run_id: str, kind: str = "remediate",
                 meta: Optional[dict[str, Any]] = None) -> None:
        self.meta = dict(meta or {})  # written into every entry (e.g. "sandbox": the demo account's URL)
        self.s3 = s3_location(path)
        self.path: Any = str(path) if self.s3 else Path(path)
        self.run_id = run_id
        self.kind = kind  # remediate | restore
        self.seq = 0
        self.records = 0
        self._fh = None
        self._client: Any = None

    def _write(self, obj: dict[str, Any]) -> None:
        self.records += 1
        if self.s3 is not None:
            bucket, prefix = self.s3
            if self._client is None:
                self._client = _s3()
            body = json.dumps(obj, sort_keys=True, default=str).encode("utf-8")
            # keys sort in write order: the run, then the record number
            self._client.put_object(Bucket=bucket, Key=f"{prefix}{self.run_id}/{self.records:08d}.json",
                                    Body=body, ContentType="application/json")
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(obj, sort_keys=True, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def begin(self, change: Change, before: dict[str, Any], **extra: Any) -> str:
        extra = {k: v for k, v in extra.items() if v is not None}
        self.seq += 1
        entry_id = f"{self.run_id}:{self.seq}"
        self._write({
            "v": VERSION, "id": entry_id, "run_id": self.run_id, "seq": self.seq, "kind": self.kind,
            "action": change.action, "step": change.kind, "change": change.id,
            "account": change.account, "region": change.region, "resource": change.resource,
            "name": change.name, "before": before, "after": change.after, "why": change.why,
            "status": "pending", "time": _now(), **self.meta, **extra,
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


class _Pending(BaseModel):
    """A ``pending`` line: everything restore reads, with exact types."""

    model_config = ConfigDict(extra="allow", strict=True)
    id: str
    run_id: str
    seq: int = Field(ge=1, le=10**9)
    kind: Literal["remediate", "restore"] = "remediate"
    action: str
    step: str = ""
    change: str = ""
    account: str
    region: str
    resource: str
    name: str
    before: dict[str, Any]
    after: dict[str, Any] = {}
    why: str = ""
    status: Literal["pending"]
    role_arn: Optional[str] = None
    sandbox: Optional[str] = None


class _Completion(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    id: str
    run_id: Optional[str] = None
    status: Literal["done", "failed"]
    error: Optional[str] = None


def _problem(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(x) for x in err["loc"]) or "line"
    if err["type"] == "missing":
        return f"lacks {where!r}"
    return f"{where}: {err['msg']}"


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def read(path: os.PathLike | str) -> tuple[list[Entry], list[str]]:
    """Entries paired with their completions, and warnings (e.g. a torn last
    line). The whole journal is checked before anything is returned: a line
    of the wrong shape anywhere refuses all of it (JournalError), so restore
    never undoes a newer entry and then stops at a broken older one."""
    loc = s3_location(path)
    if loc is not None:
        items = _s3_records(str(path), *loc)  # whole objects: a PutObject is never torn
    else:
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise JournalError(f"{p}: cannot read journal: {e.strerror or e}") from None
        lines = raw.split(b"\n")
        items = [(f"{p}:{n}", b, n >= len(lines) - 1) for n, b in enumerate(lines, 1)]
    entries: dict[str, Entry] = {}
    warnings: list[str] = []
    seqs: dict[tuple[str, int], str] = {}
    for where, bline, last in items:
        if not bline.strip():
            continue
        try:
            obj = _parse(bline.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            if last and not isinstance(e, UnicodeDecodeError) and not str(e).startswith("nested"):
                # torn by a crash mid-write: the call after it never ran
                warnings.append(f"{where}: incomplete last line ignored")
                continue
            why = ("not UTF-8" if isinstance(e, UnicodeDecodeError) else
                   str(e) if str(e).startswith("nested") else "not JSON")
            raise JournalError(f"{where}: not a journal line ({why})") from None
        if not isinstance(obj, dict) or "id" not in obj or "status" not in obj:
            raise JournalError(f"{where}: not a journal line")
        try:
            if obj["status"] == "pending":
                rec = _Pending.model_validate(obj)
            else:
                done = _Completion.model_validate(obj)
        except ValidationError as e:
            raise JournalError(f"{where}: journal line {str(obj.get('id'))[:80]!r}: {_problem(e)}") from None
        if obj["status"] == "pending":
            if rec.id in entries:
                raise JournalError(f"{where}: entry {rec.id} appears twice")
            if (rec.run_id, rec.seq) in seqs:
                raise JournalError(f"{where}: run {rec.run_id} has two entries with seq {rec.seq}")
            seqs[(rec.run_id, rec.seq)] = rec.id
            if rec.kind == "restore":
                raise JournalError(f"{where}: {rec.id} is from a restore journal; restore undoes remediation "
                                   "journals (to redo a change, run remediate again)")
            problem = _action_problem(obj)
            if problem:
                raise JournalError(f"{where}: entry {rec.id}: {problem}")
            entries[rec.id] = Entry(obj, "pending")
        elif done.id in entries:
            entries[done.id].status = done.status
            entries[done.id].error = done.error
        else:
            warnings.append(f"{where}: completion for unknown entry {done.id}")
    return sorted(entries.values(), key=lambda e: (e.record["run_id"], e.seq)), warnings


def _s3_records(url: str, bucket: str, prefix: str) -> list[tuple[str, bytes, bool]]:
    from botocore.exceptions import ClientError

    from ..live.paging import EndlessPagination, paginate

    s3 = _s3()
    keys: list[str] = []
    try:
        for page in paginate(s3, "list_objects_v2", Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".json")]
        return [(f"s3://{bucket}/{k}", s3.get_object(Bucket=bucket, Key=k)["Body"].read(), False)
                for k in sorted(keys)]
    except ClientError as e:
        from ..s3 import problem

        raise JournalError(f"{url}: cannot read journal: {problem(e)}") from None
    except EndlessPagination as e:
        raise JournalError(f"{url}: cannot read journal: {e}") from None


def _action_problem(rec: dict[str, Any]) -> Optional[str]:
    """What the entry's action could not undo from this record, if anything."""
    from .base import load_actions

    actions = load_actions()
    cls = actions.get(rec["action"])
    if cls is None:
        return f"unknown action {rec['action']!r}"
    return cls.record_problem(rec)
