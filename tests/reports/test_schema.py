"""``sm-audit schema``: the result document's JSON Schema, shipped with the
package, current with the models, named by every result's ``$schema``, and
valid for real results (scan, audit-shaped, merged)."""

from __future__ import annotations

import json

import jsonschema

from auditor.models.findings import RESULT_SCHEMA
from auditor.schema import SHIPPED, text
from tests.static.helpers import GOOD, run_cli

from .samples import live_doc


def test_shipped_schema_is_current():
    assert SHIPPED.read_text(encoding="utf-8") == text(), "run `python -m auditor.schema` and commit the file"


def test_schema_command_prints_the_shipped_file(capsys, tmp_path):
    r = run_cli(capsys, "schema")
    assert r.code == 0 and r.out == SHIPPED.read_text(encoding="utf-8")
    schema = json.loads(r.out)
    assert schema["$id"] == RESULT_SCHEMA and RESULT_SCHEMA.endswith("/auditor/models/result-v1.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    out = tmp_path / "s.json"
    assert run_cli(capsys, "schema", "-o", str(out)).code == 0 and out.read_text() == r.out


def test_results_name_the_schema_and_validate_against_it(capsys, tmp_path):
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    (tmp_path / "stack.yaml").write_text(GOOD)
    doc = run_cli(capsys, "scan", "--production", str(tmp_path / "stack.yaml"), "-f", "json").doc
    assert doc["$schema"] == RESULT_SCHEMA
    jsonschema.validate(doc, schema)
    jsonschema.validate(json.loads(live_doc().to_json()), schema)
    broken = dict(doc, findings=[dict(doc["findings"][0], level="fatal")])
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError as e:
        assert "fatal" in e.message
    else:
        raise AssertionError("a bad level must not validate")
