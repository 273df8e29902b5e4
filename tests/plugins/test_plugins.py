"""Third-party rule packs register through the ``sm_audit.rules`` entry-point
group. The fixture pack (tests/plugins/fixture_pack) is "installed" by putting
its package and a hand-written .dist-info on sys.path: exactly what
importlib.metadata sees after a pip install, without a build or a network."""

from __future__ import annotations

import configparser
import shutil
from pathlib import Path

import pytest

from auditor import registry
from auditor.config import parse
from auditor.rulebase import Rule
from auditor.scan import scan

from ..static.helpers import by_rule

PACK = Path(__file__).parent / "fixture_pack"
TEMPLATE = """\
Resources:
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      PrimaryContainer: {Image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310}
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: !GetAtt Model.ModelName, InitialInstanceCount: 2,
           InstanceType: ml.m5.large}
  Named:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: churn-config
      ProductionVariants:
        - {VariantName: AllTraffic, ModelName: !GetAtt Model.ModelName, InitialInstanceCount: 2,
           InstanceType: ml.m5.large}
"""


def install_pack(site: Path, entry_points: dict[str, str] | None = None) -> Path:
    """Copy the pack into ``site`` with a .dist-info whose entry points are
    read from the pack's own pyproject.toml (or ``entry_points``)."""
    shutil.copytree(PACK / "src" / "smaudit_fixture_pack", site / "smaudit_fixture_pack")
    if entry_points is None:
        import tomllib

        meta = tomllib.loads((PACK / "pyproject.toml").read_text())
        entry_points = meta["project"]["entry-points"]["sm_audit.rules"]
    info = site / "smaudit_fixture_pack-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: smaudit-fixture-pack\nVersion: 0.1.0\n")
    ep = configparser.ConfigParser()
    ep.optionxform = str
    ep["sm_audit.rules"] = entry_points
    with open(info / "entry_points.txt", "w") as fh:
        ep.write(fh)
    return site


@pytest.fixture
def pack(tmp_path, monkeypatch):
    site = install_pack(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    yield site
    import sys

    for name in [m for m in sys.modules if m.startswith("smaudit_fixture_pack")]:
        del sys.modules[name]


def test_registry_loads_good_rules_and_rejects_bad_ones(pack):
    reg = registry.load()
    assert {"XPK101", "XPK102", "XPK900"} <= set(reg.rules)
    assert reg.rules["XPK101"].plugin == "smaudit-fixture-pack"
    assert reg.rules["SM201"].__module__.startswith("rules.")  # the built-in keeps its ID
    problems = {p.source.split(" = ")[0]: p.message for p in reg.problems}
    assert set(problems) == {"entry point duplicate", "entry point malformed", "entry point broken"}
    assert "rule ID SM201 is already registered by rules." in problems["entry point duplicate"]
    assert "malformed rule ID 'bad id!'" in problems["entry point malformed"]
    assert "ModuleNotFoundError" in problems["entry point broken"]
    assert "smaudit_fixture_pack_missing_dependency" in problems["entry point broken"]


def test_pack_findings_and_contained_failures_in_a_scan(pack, tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TEMPLATE)
    doc = scan([str(f)], parse({}, "cfg"))
    good = by_rule(doc.model_dump(mode="json"), "XPK101")
    assert [(x["resource"]["id"], x["level"], x["location"]["line"]) for x in good] == [("Config", "warning", 8)]
    assert "has no EndpointConfigName" in good[0]["message"]
    assert [x.resource.id for x in doc.findings if x.rule == "XPK102"] == ["Model"]
    errors = [x for x in doc.findings if x.rule == "SM000"]
    rejected = sorted(x.message for x in errors if x.resource is None)
    assert len(rejected) == 3
    assert any("SM201 is already registered" in m for m in rejected)
    assert any("malformed rule ID 'bad id!'" in m for m in rejected)
    assert any("entry point broken" in m and "cannot load" in m for m in rejected)
    (crash,) = [x for x in errors if x.resource is not None]
    assert crash.resource.id == "Model" and crash.data["rule"] == "XPK900"
    assert "rule XPK900 (fixture-raises) failed on Model: ZeroDivisionError: fixture pack bug" in crash.message
    assert crash.location.line == 2
    # the other rules still ran: the built-in SM201 and the good pack rules
    assert any(x.rule == "SM201" for x in doc.findings) or \
        any(e.rule == "SM201" for e in doc.evaluations)
    ev = {(e.rule, e.resource.split("#")[-1]): e.outcome for e in doc.evaluations}
    assert ev[("XPK900", "Model")] == "error"
    assert ev[("XPK101", "Named")] == "pass"
    infos = {i.id: i for i in doc.rules}
    assert infos["XPK101"].plugin == "smaudit-fixture-pack" and "SM000" in infos


def test_pack_params_are_configurable_and_validated(pack, tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TEMPLATE)
    doc = scan([str(f)], parse({"rules": {"XPK101": {"params": {"prefix": "prod-"}}}}, "cfg"), select=["XPK101"])
    msgs = sorted(x.message for x in doc.findings if x.rule == "XPK101")
    assert msgs[-1] == "name churn-config does not start with 'prod-'"
    from auditor.config import ConfigError

    with pytest.raises(ConfigError, match=r"rules.XPK101.params.prefx: unknown key"):
        scan([str(f)], parse({"rules": {"XPK101": {"params": {"prefx": "x"}}}}, "cfg"))


def test_plugins_can_be_switched_off(pack):
    reg = registry.load(plugins=False)
    assert not any(r.startswith("XPK") for r in reg.rules) and reg.problems == []


def test_pack_through_the_real_command_line(tmp_path):
    site = install_pack(tmp_path / "site", {"good": "smaudit_fixture_pack.rules:NameConfigs"})
    f = tmp_path / "t.yaml"
    f.write_text(TEMPLATE)
    from ..static.helpers import ROOT

    r = run_proc_with_path(site, ROOT, "scan", str(f), "--rule", "XPK101", "-f", "json")
    assert r.code == 0, r.err  # a warning does not fail the default gate
    (x,) = by_rule(r.doc, "XPK101")
    assert x["resource"]["id"] == "Config"
    r = run_proc_with_path(site, ROOT, "scan", str(f), "--rule", "XPK101", "--fail-on", "warning")
    assert r.code == 1 and "XPK101 named-endpoint-configs Config" in r.out


def run_proc_with_path(site: Path, root: Path, *args: str):
    import os
    import subprocess
    import sys

    from ..static.helpers import Run

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(root)])}
    p = subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True, env=env,
                       timeout=120)
    return Run(p.returncode, p.stdout, p.stderr)


def test_a_rule_whose_setup_fails_is_contained(monkeypatch, tmp_path):
    class BadInit(Rule):
        """x"""

        id = "XPK950"
        slug = "bad-init"
        title = "Bad init"
        policy = "x"
        targets = ("Model",)

        def __init__(self, params=None):
            raise RuntimeError("cannot start")

    real = registry.load

    def load(plugins=True):
        reg = real(plugins=False)
        reg.add(BadInit, "test")
        return reg

    monkeypatch.setattr(registry, "load", load)
    f = tmp_path / "t.yaml"
    f.write_text(TEMPLATE)
    doc = scan([str(f)], parse({}, "cfg"))
    (err,) = [x for x in doc.findings if x.rule == "SM000"]
    assert "rule XPK950 (bad-init) cannot be set up: RuntimeError: cannot start" in err.message
    assert any(x.rule == "SM201" for x in doc.findings) or any(e.rule == "SM201" for e in doc.evaluations)


@pytest.mark.parametrize("attrs,fragment", [
    ({"id": "SM20"}, "malformed rule ID"),
    ({"slug": "Not Kebab"}, "malformed slug"),
    ({"level": "fatal"}, "level 'fatal'"),
    ({"title": ""}, "needs a title"),
    ({"targets": "Model"}, "targets 'Model'"),
    ({"targets": ("Modell",)}, "targets ('Modell',)"),
    ({"scope": ("offline",)}, "scope"),
    ({"inventory_scope": "live"}, "inventory_scope 'live'"),
    ({"scope": ("live",), "inventory_scope": ("static",)}, "inventory_scope ('static',) must name"),
])
def test_registry_validation(attrs, fragment):
    base = {"id": "XPK300", "slug": "ok-rule", "title": "t", "policy": "p", "targets": ("Model",),
            "__doc__": "x"}
    cls = type("R", (Rule,), {**base, **attrs})
    reg = registry.Registry()
    reg.add(cls, "test")
    assert reg.rules == {}
    assert fragment in reg.problems[0].message
    reg.add(type("NotARule", (), {}), "test")
    assert "is not an sm-audit Rule class" in reg.problems[1].message


def test_entry_point_discovery_matches_importlib_metadata(pack):
    from importlib.metadata import entry_points

    ours = {(ep.name, ep.value, ep.dist.name) for ep in registry._entry_points()}
    theirs = {(ep.name, ep.value, ep.dist.name) for ep in entry_points(group=registry.ENTRY_POINT_GROUP)}
    assert ours == theirs
    assert ("good", "smaudit_fixture_pack.rules:NameConfigs", "smaudit-fixture-pack") in ours
