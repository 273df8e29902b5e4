"""SARIF: schema-valid, GitHub-shaped, deterministic, stable fingerprints."""

from __future__ import annotations

import json

import jsonschema
import pytest

from reports import render
from reports.merge import compare
from reports.sarif import FINGERPRINT_KEY, build, default_repo_root, rule_descriptor

from tests.conftest import CORPUS

from .samples import ARN_EP, ARN_EP2, ARN_POLICY, HOSTILE, HOSTILE_CONFIG, SCRIPT, live_doc, scan_dir



def _check_github_shape(sarif: dict) -> None:
    """What GitHub code scanning needs beyond the schema."""
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["version"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"] and r["helpUri"].startswith("https://")
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert len(r["fullDescription"]["text"]) <= 1000
        if "security-severity" in r["properties"]:
            assert isinstance(r["properties"]["security-severity"], str)
            assert 0.0 <= float(r["properties"]["security-severity"]) <= 10.0
            assert "security" in r["properties"]["tags"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert len(res["locations"]) == 1
        art = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art["uri"]
        assert "../" not in art["uri"] and not art["uri"].startswith("..")
        if "uriBaseId" in art:
            assert art["uriBaseId"] == "%SRCROOT%" and not art["uri"].startswith("/")
        assert res["partialFingerprints"][FINGERPRINT_KEY]
        assert "primaryLocationLineHash" not in res["partialFingerprints"]  # GitHub computes that one
        if res["kind"] == "fail":
            assert res["level"] in ("error", "warning", "note")
        else:
            assert res["kind"] == "review" and res["level"] == "none"


def test_corpus_scan_is_valid_sarif_for_code_scanning(corpus_doc, sarif_schema):
    sarif = build(corpus_doc, repo_root=str(CORPUS.parent))
    jsonschema.validate(sarif, sarif_schema)
    _check_github_shape(sarif)
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r.id for r in corpus_doc.rules}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris and all(u.startswith("corpus/") for u in uris)
    # every finding with a place is a result (identical duplicates collapse into one)
    keys = {(f.rule, f.location.short(), f.message) for f in corpus_doc.findings}
    assert len(run["results"]) == len(keys)
    # the unreadable corpus file is a result on the file and a notification
    bad = [r for r in run["results"] if r["ruleId"] == "SM001"]
    # (its DataCaptureConfig is a string and its PrimaryContainer.Image a list)
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in bad] == \
        [("corpus/042_Checkmarx_kics_negative2.json", 59), ("corpus/042_Checkmarx_kics_negative2.json", 52)]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["associatedRule"]["id"] == "SM001" and n["level"] == "error" for n in notes)
    assert run["invocations"][0]["executionSuccessful"] is True


def test_same_input_same_bytes(tmp_path):
    root = tmp_path / "repo"
    a = scan_dir(root, {"infra/endpoint.yaml": HOSTILE}, HOSTILE_CONFIG)
    b = scan_dir(root, {"infra/endpoint.yaml": HOSTILE}, HOSTILE_CONFIG)
    assert render(a, "sarif", repo_root=str(root)) == render(b, "sarif", repo_root=str(root))
    assert render(live_doc(), "sarif", repo_root=str(root)) == render(live_doc(), "sarif", repo_root=str(root))


def test_relative_uris_and_precise_regions(hostile, sarif_schema):
    root, doc = hostile
    sarif = build(doc, repo_root=str(root))
    jsonschema.validate(sarif, sarif_schema)
    _check_github_shape(sarif)
    run = sarif["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    r = next(r for r in run["results"] if r["ruleId"] == "SM201" and "onerror" in r["message"]["text"])
    phys = r["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "infra/endpoint.yaml", "uriBaseId": "%SRCROOT%"}
    # "InitialInstanceCount: 1" of the Config resource's variant (end column exclusive)
    assert phys["region"] == {"startLine": 24, "startColumn": 11, "endLine": 24, "endColumn": 34}
    assert HOSTILE.splitlines()[23][10:33] == "InitialInstanceCount: 1"
    logical = r["locations"][0]["logicalLocations"][0]
    assert logical["name"] == "Config"
    assert logical["fullyQualifiedName"] == "Config.ProductionVariants[0].InitialInstanceCount"


def test_file_outside_the_root_gets_an_absolute_uri(hostile, tmp_path):
    _, doc = hostile
    other = tmp_path / "elsewhere"
    other.mkdir()
    sarif = build(doc, repo_root=str(other))
    for r in sarif["runs"][0]["results"]:
        art = r["locations"][0]["physicalLocation"]["artifactLocation"]
        assert art["uri"].startswith("file:///") and "uriBaseId" not in art
        assert ".." not in art["uri"]


def test_repo_root_defaults_to_git_top_level(tmp_path):
    import subprocess

    repo = tmp_path / "g"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert default_repo_root(str(repo / "sub")) == str(repo.resolve())
    plain = tmp_path / "plain"
    plain.mkdir()
    assert default_repo_root(str(plain)) == str(plain.resolve())


def test_fingerprints_survive_line_moves(tmp_path):
    moved = "# a comment\n# another\n\n" + HOSTILE.replace("AWSTemplateFormatVersion", "Description: moved\n"
                                                              "AWSTemplateFormatVersion")
    a = build(scan_dir(tmp_path / "a", {"t.yaml": HOSTILE}), repo_root=str(tmp_path / "a"))
    b = build(scan_dir(tmp_path / "b", {"t.yaml": moved}), repo_root=str(tmp_path / "b"))

    def index(s):
        return {r["partialFingerprints"][FINGERPRINT_KEY]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in s["runs"][0]["results"]}

    ia, ib = index(a), index(b)
    assert ia.keys() == ib.keys() and len(ia) >= 5
    assert all(ib[k] == ia[k] + 4 for k in ia)  # same results, every one moved by four lines


def test_fingerprints_tell_resources_and_paths_apart(hostile):
    root, doc = hostile
    results = build(doc, repo_root=str(root))["runs"][0]["results"]
    by_fp = {}
    for r in results:
        key = (r["ruleId"], r["properties"].get("resource"), r["properties"].get("propertyPath"))
        by_fp.setdefault(r["partialFingerprints"][FINGERPRINT_KEY], set()).add(key)
    assert all(len(v) == 1 for v in by_fp.values())


def test_suppressions_are_kept_and_marked(hostile):
    root, doc = hostile
    results = build(doc, repo_root=str(root))["runs"][0]["results"]
    sup = {r["properties"]["resource"]: r["suppressions"] for r in results if "suppressions" in r}
    assert sup["Waived"] == [{
        "kind": "inSource", "status": "accepted",
        "justification": f"{SCRIPT} single instance accepted for the pilot",
        "properties": {"source": f"{root / 'infra' / 'endpoint.yaml'} Metadata.sm-audit"}}]
    assert sup["External"][0]["kind"] == "external"
    assert sup["External"][0]["justification"] == "tracked in TICKET-42"
    assert sup["External"][0]["properties"]["expires"] == "2030-01-01"


def test_unknown_is_a_review_result(hostile):
    root, doc = hostile
    results = build(doc, repo_root=str(root))["runs"][0]["results"]
    r = next(r for r in results if r["ruleId"] == "SM201" and r["properties"]["resource"] == "Unknown")
    assert (r["kind"], r["level"], r["properties"]["outcome"]) == ("review", "none", "unknown")
    assert "parameter Count has no default" in r["message"]["text"]


def test_parse_error_is_a_result_and_a_notification(hostile):
    root, doc = hostile
    run = build(doc, repo_root=str(root))["runs"][0]
    r = next(r for r in run["results"] if r["ruleId"] == "SM001")
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/broken.yaml"
    assert r["level"] == "error" and r["kind"] == "fail"
    n = next(n for n in run["invocations"][0]["toolExecutionNotifications"] if n["associatedRule"]["id"] == "SM001")
    assert n["level"] == "error" and "invalid YAML" in n["message"]["text"]
    assert n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/broken.yaml"


def test_rule_descriptor_carries_the_rule_doc(hostile):
    root, doc = hostile
    rules = {r["id"]: r for r in build(doc, repo_root=str(root))["runs"][0]["tool"]["driver"]["rules"]}
    sm201 = rules["SM201"]
    assert sm201["name"] == "high-availability"
    assert sm201["defaultConfiguration"] == {"level": "error"}
    assert "### What it checks" in sm201["help"]["markdown"] and "### Fix" in sm201["help"]["markdown"]
    assert "min_instances" in sm201["help"]["markdown"]
    assert sm201["properties"]["tags"] == sorted(sm201["properties"]["tags"])
    assert "security-severity" not in sm201["properties"]
    assert rules["SM001"]["help"]["text"].count("What it checks") == 1  # engine rules have docs too


def test_every_security_rule_has_a_security_severity():
    """GitHub ranks code-scanning alerts of security rules by it."""
    from auditor import registry

    security = [c for c in registry.load(plugins=False).rules.values() if "security" in c.tags]
    assert {c.id for c in security} >= {"SM101", "SM102", "SM103", "SM401", "SM402", "SM403"}
    for c in security:
        props = rule_descriptor(c.info())["properties"]
        assert 0.0 < float(props["security-severity"]) <= 10.0, c.id


def test_live_document(live, sarif_schema, tmp_path):
    sarif = build(live, repo_root=str(tmp_path))
    jsonschema.validate(sarif, sarif_schema)
    _check_github_shape(sarif)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["SM402"]["properties"]["security-severity"] == "8.0"
    results = {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in run["results"]}
    assert len(results) == 3  # the rule-pack failure has no place: notification only
    ep = next(r for r in run["results"] if r["properties"]["resource"] == "fraud-prod")
    loc = ep["locations"][0]
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": ARN_EP}}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == ARN_EP
    assert loc["logicalLocations"][0]["properties"]["account"] == "222222222222"
    assert loc["logicalLocations"][0]["properties"]["region"] == "eu-west-1"
    churn = next(r for r in run["results"] if r["properties"]["resource"] == "churn")
    assert churn["suppressions"][0]["kind"] == "external" and SCRIPT in churn["suppressions"][0]["justification"]
    policy = next(r for r in run["results"] if r["ruleId"] == "SM402")
    assert policy["kind"] == "review" and policy["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        ARN_POLICY
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False  # a rule pack failed to load
    notes = inv["toolExecutionNotifications"]
    assert any(n.get("associatedRule", {}).get("id") == "SM000" for n in notes)
    gap = next(n for n in notes if "coverage gap" in n["message"]["text"])
    # gaps name the kinds of data missing, never rules
    assert gap["level"] == "warning" and gap["properties"]["kinds"] == ["IamPolicy"]
    assert "associatedRule" not in gap and "results that read IamPolicy there are unknown" in gap["message"]["text"]
    assert "AccessDenied" in gap["message"]["text"] and "111111111111/us-east-1" in gap["message"]["text"]
    assert ARN_EP2 in json.dumps(run["results"])


def test_baseline_marks_new_and_lists_fixed(live, tmp_path):
    old = live_doc()
    new = live.model_copy(update={"findings": [f for f in live.findings if f.rule != "SM402"]})
    fraud = next(f for f in new.findings if f.resource and f.resource.id == "fraud-prod")
    extra = fraud.model_copy(update={"fingerprint": "a" * 32, "path": "X", "message": "a new one"})
    new = new.model_copy(update={"findings": new.findings + [extra]})
    reduced, base = compare(new, old, ["old.json"])
    sarif = build(reduced, repo_root=str(tmp_path), baseline=base)
    results = sarif["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == ["a new one"]
    assert results[0]["baselineState"] == "new"
    props = sarif["runs"][0]["properties"]["sm-audit/baseline"]
    assert props["new"] == 1 and props["sources"] == ["old.json"]
    assert [f["ruleId"] for f in props["fixed"]] == ["SM402"]


@pytest.mark.parametrize("fmt", ["sarif"])
def test_render_entry_point(fmt, live, tmp_path):
    text = render(live, fmt, repo_root=str(tmp_path))
    assert text.endswith("\n") and json.loads(text)["version"] == "2.1.0"


@pytest.mark.parametrize("fmt", ["sarif", "html", "junit", "markdown", "text", "json"])
def test_every_format_is_deterministic(tmp_path, fmt):
    root = tmp_path / "repo"
    files = {"infra/endpoint.yaml": HOSTILE}
    a = render(scan_dir(root, files, HOSTILE_CONFIG), fmt, repo_root=str(root))
    b = render(scan_dir(root, files, HOSTILE_CONFIG), fmt, repo_root=str(root))
    assert a == b
