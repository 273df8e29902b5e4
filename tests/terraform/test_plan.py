"""Plan JSON (terraform show -json), from hand-written plans in the
documented format: with the .tf sources beside it, without them, and with
--tf-dir; deletes left out; values known after apply unknown or linked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from auditor.loaders.terraform import TfOptions

from .helpers import brief, findings, scan_tf

PLANS = Path(__file__).resolve().parents[1] / "data" / "terraform-plans"
PLAN = PLANS / "endpoint" / "plan.json"


def _fail(doc, rule):
    return [b for b in brief(doc, rule) if b[5] == "fail"]


def test_plan_with_sources_beside_points_at_tf_lines():
    doc = scan_tf(PLAN)
    assert _fail(doc, "SM201") == [
        ("SM201", "aws_sagemaker_endpoint_configuration.main", "main.tf", 23,
         "production_variants[0].initial_instance_count", "fail"),
    ]
    assert findings(doc, "SM001") == []


def test_plan_alone_points_at_the_plan(tmp_path):
    plan = tmp_path / "alone" / "plan.json"
    plan.parent.mkdir()
    shutil.copy(PLAN, plan)
    doc = scan_tf(plan)
    assert _fail(doc, "SM201") == [
        ("SM201", "aws_sagemaker_endpoint_configuration.main", "plan.json", 52,
         "production_variants[0].initial_instance_count", "fail"),
    ]
    # production comes from tags_all (the provider's default_tags, merged by the plan)
    # deleted resources are not checked
    assert not any(f.resource and f.resource.id.endswith(".old") for f in doc.findings)


def test_tf_dir_gives_the_sources(tmp_path):
    plan = tmp_path / "plan.json"
    shutil.copy(PLAN, plan)
    doc = scan_tf(plan, options=TfOptions(tf_dir=str(PLANS / "endpoint")))
    assert [(b[2], b[3]) for b in _fail(doc, "SM201")] == [("main.tf", 23)]
    assert [(b[2], b[3]) for b in brief(doc, "SM401")] == [("main.tf", 10)]


def test_values_known_after_apply_are_references_or_unknown(tmp_path):
    data = json.loads(PLAN.read_text())
    # the model's name is known only after apply: the variant still reaches the model through the reference
    from auditor.loaders import load_file
    from auditor.values import Sym

    (inv,) = load_file(str(PLAN), True).inventories
    (cfg,) = inv.endpoint_configs
    (variant,) = cfg.ProductionVariants
    assert variant.ModelName == Sym("resource", "aws_sagemaker_model.m", "name")
    assert inv.model_of(variant, cfg).meta.logical_id == "aws_sagemaker_model.m"
    # an instance count known only after apply is unknown, never a pass
    pv = data["planned_values"]["root_module"]["resources"][1]["values"]["production_variants"][0]
    del pv["initial_instance_count"]
    data["resource_changes"][1]["change"]["after_unknown"]["production_variants"][0]["initial_instance_count"] = True
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(data, indent=1))
    doc = scan_tf(p, rule="SM201")
    (u,) = [f for f in findings(doc, "SM201") if f.path == "production_variants[0].initial_instance_count"]
    assert u.outcome == "unknown"
    assert "aws_sagemaker_endpoint_configuration.main initial_instance_count is known only after apply" in u.message


def test_wrong_format_version_is_one_sm001_at_its_line(tmp_path):
    data = json.loads(PLAN.read_text())
    data["format_version"] = "2.0"
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(data, indent=1))
    (bad,) = findings(scan_tf(p), "SM001")
    assert bad.level == "error" and bad.location.line == 2
    assert bad.message.startswith("Terraform plan JSON format_version '2.0' is not supported")


def test_wrong_shape_is_an_sm001_and_other_files_are_scanned(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"format_version": "1.2", "planned_values": [1, 2]}, indent=1))
    other = tmp_path / "m"
    other.mkdir()
    (other / "main.tf").write_text('resource "aws_sagemaker_model" "x" {\n  name = "x"\n}\n')
    doc = scan_tf([p, other])
    (bad,) = findings(doc, "SM001")
    assert bad.message == "planned_values.root_module must be an object" and bad.location.line == 3
    assert findings(doc, "SM401")


# ---- a plan beside its module: scanned once, as the plan ----------------------

def _all(doc):
    return sorted((f.rule, f.resource.id if f.resource else None, Path(f.location.file or "").name, f.location.line,
                   f.path, f.outcome, f.message) for f in doc.findings)


def test_a_directory_with_its_plan_is_scanned_once_as_the_plan(tmp_path):
    d = tmp_path / "endpoint"
    shutil.copytree(PLANS / "endpoint", d)
    by_plan = scan_tf(d / "plan.json")
    doc = scan_tf(tmp_path)
    assert _all(doc) == _all(by_plan)
    assert len(_all(doc)) == len(set(_all(doc)))  # no finding twice
    # the plan's resolved values, at the .tf lines: the plan's variable values decide
    assert _fail(doc, "SM201") == [("SM201", "aws_sagemaker_endpoint_configuration.main", "main.tf", 23,
                                    "production_variants[0].initial_instance_count", "fail")]
    assert doc.run.files_scanned == 2 and doc.run.files == [str(d / "plan.json")]
    # named together, the module and its plan are one scan too
    assert _all(scan_tf([d / "main.tf", d / "plan.json"])) == _all(by_plan)


def test_tf_dir_names_the_module_its_plan_covers(tmp_path):
    plan = tmp_path / "plan.json"
    shutil.copy(PLAN, plan)
    d = tmp_path / "sources"
    shutil.copytree(PLANS / "endpoint", d)
    (d / "plan.json").unlink()
    options = TfOptions(tf_dir=str(d))
    assert _all(scan_tf([plan, d], options=options)) == _all(scan_tf(plan, options=options))


def test_a_plan_that_cannot_be_read_leaves_its_module_scanned(tmp_path):
    d = tmp_path / "endpoint"
    shutil.copytree(PLANS / "endpoint", d)
    data = json.loads(PLAN.read_text())
    data["format_version"] = "2.0"
    (d / "plan.json").write_text(json.dumps(data, indent=1))
    doc = scan_tf(tmp_path)
    assert [(Path(f.location.file).name, f.location.line) for f in findings(doc, "SM001")] == [("plan.json", 2)]
    module = scan_tf(d / "main.tf")
    assert [x for x in _all(doc) if x[0] != "SM001"] == _all(module)
