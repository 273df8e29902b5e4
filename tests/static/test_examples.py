"""The bundled examples/ show a meaningful mix: the production-ready stack is
clean except for one documented suppression, the others fail for the
reasons their descriptions give, and the example configuration is valid."""

from __future__ import annotations

from .helpers import ROOT, by_rule, run_cli

EXAMPLES = ROOT / "examples"


def _by_file(doc):
    out = {}
    for f in doc["findings"]:
        out.setdefault(f["location"]["file"].split("examples/", 1)[-1], []).append(f)
    return out


def test_examples_scan(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    empty = tmp_path / "empty.yaml"  # the examples as they are, without examples/.sm-audit.yaml
    empty.write_text("version: 1\n")
    r = run_cli(capsys, "scan", "examples/", "-f", "json", "--config", str(empty))
    assert r.code == 1
    doc = r.doc
    assert doc["run"]["files_scanned"] == 6
    assert doc["run"]["files_skipped"] >= 1  # cdk.out/manifest.json (and CI workflow examples)
    assert by_rule(doc, "SM000") == [] and by_rule(doc, "SM001") == []
    files = _by_file(doc)
    assert [f for f in files.get("scheduled/sm-audit-scheduled.yaml", []) if f["outcome"] != "pass"] == []
    good = [f for f in files["cloudformation/churn-endpoint-prod.yaml"] if f["outcome"] != "pass"]
    assert [(f["rule"], bool(f.get("suppression"))) for f in good] == [("SM203", True)]
    assert good[0]["suppression"]["expires"] == "2027-06-30"
    fraud = {f["rule"] for f in files["cloudformation/fraud-endpoint.yaml"] if f["outcome"] == "fail"}
    assert {"SM101", "SM102", "SM401", "SM402"} <= fraud
    # production depends on parameter Environment (AllowedValues dev, prod): its Default binds nothing
    unsure = {f["rule"]: f["message"] for f in files["cloudformation/fraud-endpoint.yaml"] if f["outcome"] == "unknown"}
    assert unsure["SM201"].startswith("fails only when parameter Environment is prod, not when parameter "
                                      "Environment is dev")
    assert any(f["rule"] == "SM402" and "Resource \"*\"" in f["message"] for f in files["sam/template.yaml"])
    assert any(f["rule"] == "SM602" for f in files["cdk.out/MlStack.template.json"])
    api = files["api/recommender-deploy.yaml"]
    assert all(f["location"].get("line") for f in api)  # API-shaped files have positions too
    assert any(f["rule"] == "SM201" and f["resource"]["id"] == "recommender-v7-config" for f in api)


def test_example_config_is_valid_and_applies(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    r = run_cli(capsys, "scan", "examples/", "--config", "examples/.sm-audit.yaml", "-f", "json")
    assert r.code == 1, r.err
    doc = r.doc
    assert "SM503" not in {i["id"] for i in doc["rules"]}
    sup = [f for f in doc["findings"] if f.get("suppression") and f["suppression"]["kind"] == "external"]
    assert [(f["rule"], f["resource"]["id"]) for f in sup] == [("SM101", "FraudModel")]
    text = run_cli(capsys, "scan", "examples/", "--config", "examples/.sm-audit.yaml")
    assert "skipped as not templates" in text.out
    found = run_cli(capsys, "scan", "examples/", "-f", "json")  # found upward from the scanned directory
    assert found.doc["run"]["configs"] == ["examples/.sm-audit.yaml"]
    assert found.doc["findings"] == doc["findings"]
