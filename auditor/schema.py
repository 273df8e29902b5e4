"""The JSON Schema of the result document (``--format json``), shipped
beside the models as ``models/result-v1.schema.json``: ``sm-audit schema``
prints it and every result's ``$schema`` names it. ``python -m
auditor.schema`` regenerates the file from the pydantic models (a test
keeps it current)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .models.findings import RESULT_SCHEMA

SHIPPED = Path(__file__).resolve().parent / "models" / "result-v1.schema.json"


def generate() -> dict:
    from .models.findings import ResultDocument

    schema = ResultDocument.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": RESULT_SCHEMA,
            "title": "sm-audit result document", **{k: v for k, v in schema.items() if k != "title"}}


def text() -> str:
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SHIPPED.write_text(text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SHIPPED}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
