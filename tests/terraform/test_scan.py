"""Terraform through `sm-audit scan`: discovery, bad input as SM001,
suppression comments, CLI flags, reports."""

from __future__ import annotations

import json
import os

from tests.static.helpers import by_rule, run_cli

from .helpers import brief, findings, scan_tf, write_module

ENDPOINT = '''
resource "aws_sagemaker_endpoint_configuration" "main" {
  name = "cfg"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = var.instances
  }
  tags = { Environment = "prod" }
}
variable "instances" { default = 1 }
'''


def test_terraform_only_directory_is_scanned_not_zero_files(tmp_path, capsys):
    write_module(tmp_path / "infra", {"main.tf": ENDPOINT, "vars.tf": 'variable "unused" {}\n'})
    r = run_cli(capsys, "scan", str(tmp_path), "-f", "json")
    assert r.code == 1
    assert r.doc["run"]["files_scanned"] == 2
    (f,) = [x for x in by_rule(r.doc, "SM201") if x["outcome"] == "fail"]
    assert f["resource"]["id"] == "aws_sagemaker_endpoint_configuration.main"
    assert f["resource"]["type"] == "aws_sagemaker_endpoint_configuration"
    assert f["path"] == "production_variants[0].initial_instance_count"
    assert f["location"]["file"].endswith("infra/main.tf") and f["location"]["line"] == 8


def test_a_tf_file_on_the_command_line_scans_its_module(tmp_path, capsys):
    d = write_module(tmp_path, {"a.tf": ENDPOINT.split("variable")[0], "b.tf": 'variable "instances" { default = 3 }\n'})
    r = run_cli(capsys, "scan", str(d / "a.tf"), "-f", "json", "--rule", "SM201")
    assert r.code == 0, r.out
    assert [x for x in by_rule(r.doc, "SM201") if x["outcome"] == "fail"] == []  # b.tf's default (3 instances) was read with a.tf


def test_var_and_var_file_flags(tmp_path, capsys):
    d = write_module(tmp_path / "m", {"main.tf": ENDPOINT})
    vf = tmp_path / "prod.tfvars"
    vf.write_text("instances = 4\n")
    assert run_cli(capsys, "scan", str(d), "--rule", "SM201", "--var-file", str(vf)).code == 0
    assert run_cli(capsys, "scan", str(d), "--rule", "SM201", "--var-file", str(vf), "--var", "instances=1").code == 1
    r = run_cli(capsys, "scan", str(d), "--var", "novalue")
    assert r.code == 2 and "NAME=VALUE" in r.err


def test_syntax_error_is_one_sm001_and_the_rest_is_scanned(tmp_path):
    d = write_module(tmp_path, {"main.tf": ENDPOINT, "broken.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = \n}\n'})
    doc = scan_tf(d)
    (bad,) = findings(doc, "SM001")
    assert (bad.level, bad.outcome, os.path.basename(bad.location.file), bad.location.line) == \
        ("error", "error", "broken.tf", 2)
    assert bad.message.startswith("HCL syntax error")
    assert [b[4] for b in brief(doc, "SM201") if b[5] == "fail"] == ["production_variants[0].initial_instance_count"]


def test_unreadable_file_is_an_sm001(tmp_path):
    d = write_module(tmp_path, {"main.tf": ENDPOINT})
    os.symlink(tmp_path / "nowhere.tf", d / "dangling.tf")
    doc = scan_tf(d)
    (bad,) = findings(doc, "SM001")
    assert os.path.basename(bad.location.file) == "dangling.tf" and bad.message.startswith("cannot read file")


def test_tfvars_named_on_the_command_line_is_explained(tmp_path):
    f = tmp_path / "x.tfvars"
    f.write_text('a = "b"\n')
    (bad,) = findings(scan_tf(f), "SM001")
    assert "scan the module's directory" in bad.message


def test_suppression_comments(tmp_path):
    d = write_module(tmp_path, {"main.tf": '''
        resource "aws_sagemaker_endpoint_configuration" "ok" {
          # sm-audit:skip SM201 reason="one instance is enough for this demo" expires=2027-01-31
          production_variants {
            variant_name           = "v"
            model_name             = "m"
            instance_type          = "ml.m5.large"
            initial_instance_count = 1
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_endpoint_configuration" "expired" {
          # sm-audit:skip SM201 reason="was fine" expires=2020-01-01
          production_variants {
            variant_name           = "v"
            model_name             = "m"
            instance_type          = "ml.m5.large"
            initial_instance_count = 1
          }
          tags = { Environment = "prod" }
        }
        resource "aws_sagemaker_model" "noreason" {
          # sm-audit:skip SM401
          name = "m"
        }
        resource "aws_sagemaker_model" "badrule" {
          # sm-audit:skip SM999 reason="typo"
          name = "m2"
        }
    '''})
    doc = scan_tf(d)
    sm201 = {f.resource.id: f for f in findings(doc, "SM201") if f.outcome == "fail"}
    ok = sm201["aws_sagemaker_endpoint_configuration.ok"]
    assert ok.suppression is not None and ok.suppression.reason == "one instance is enough for this demo"
    assert ok.suppression.source.endswith("main.tf:3")
    expired = sm201["aws_sagemaker_endpoint_configuration.expired"]
    assert expired.suppression is None and "expired on 2020-01-01" in expired.notes[0]
    bad = sorted((f.location.line, f.message) for f in findings(doc, "SM001"))
    assert bad == [(23, 'sm-audit:skip SM401 needs reason="..."'), (27, "sm-audit:skip names unknown rule SM999")]


def test_config_suppressions_match_terraform_addresses(tmp_path):
    d = write_module(tmp_path, {"main.tf": ENDPOINT})
    cfg = {"suppressions": [{"rule": "SM201", "resource": "aws_sagemaker_endpoint_configuration.*",
                             "reason": "accepted"}]}
    (f,) = [x for x in findings(scan_tf(d, config=cfg), "SM201") if x.outcome == "fail"]
    assert f.suppression is not None and f.suppression.kind == "external"


def test_sarif_and_json_keep_their_shape(tmp_path, capsys):
    d = write_module(tmp_path / "m", {"main.tf": ENDPOINT})
    r = run_cli(capsys, "scan", str(d), "-f", "sarif", "--rule", "SM201")
    sarif = json.loads(r.out)
    (res,) = [x for x in sarif["runs"][0]["results"] if x["level"] == "error"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("m/main.tf") and loc["region"]["startLine"] == 8
    r1 = run_cli(capsys, "scan", str(d), "-f", "json")
    r2 = run_cli(capsys, "scan", str(d), "-f", "json")
    strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "run"}  # noqa: E731
    assert strip(r1.out) == strip(r2.out)


def test_start_up_does_not_load_terraform_code(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from auditor.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('hcl2', 'lark', 'auditor.loaders.terraform'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_jobs_give_the_same_bytes(tmp_path, capsys):
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[1] / "data" / "terraform-corpus"
    one = run_cli(capsys, "scan", str(corpus), "-f", "json", "--jobs", "1").out
    two = run_cli(capsys, "scan", str(corpus), "-f", "json", "--jobs", "2").out
    assert one == two and json.loads(one)["findings"]
