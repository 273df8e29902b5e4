"""The 32 public SageMaker templates in tests/data/corpus: no crash, exactly
the input errors that are real, the cross-resource links resolved, and a
few exact findings. Tolerant to rules being added: assertions name the
rules and files they are about, never total counts of other rules."""

from __future__ import annotations

import pytest

from auditor.config import Config
from auditor.loaders import discover, load_file
from auditor.scan import scan
from auditor.values import Unknown

from ..conftest import CORPUS

# endpoint -> (config, models of its variants, scalable targets, alarms); "?" = cannot tell
LINKS = {
    "001": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "002": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "004": [("Endpoint", "EndpointConfig", ["Model"], [], ["Endpoint500Errors"])],
    "005": [("Endpoint", "EndpointConfig", ["CurrentModel"], [], [])],
    "007": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "010": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "013": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "017": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "018": [("Endpoint", "EndpointConfig", ["Model"], ["AutoScaling"], [])],
    "019": [("SageMakerEndpoint", "SageMakerEndpointConfig", ["SageMakerModel"], [], [])],
    "022": [("Endpoint1", "Endpoint1Config", ["SageMakerModel1"], [], []),
            ("Endpoint2", "Endpoint2Config", ["SageMakerModel2"], [], []),
            ("Endpoint3", "Endpoint3Config", ["SageMakerModel3"], [], [])],
    "024": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "025": [("Endpoint", "EndpointConfig", ["Model"], ["AutoScaling"], [])],
    "033": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    "034": [("Endpoint", "EndpointConfig", ["Model"], [], [])],
    # the model is named by !Sub over parameters and is not in the template
    "035": [("Endpoint", "EndpointConfig", ["?"], ["AutoScaling"], [])],
    "036": [("LLMEndpoint", "LLMEndpointConfig", ["LLMModel"], [], []),
            ("EmbeddingEndpoint", "EmbeddingEndpointConfig", ["EmbeddingModel"], [], [])],
    "039": [("SageMakerEndpoint", "SageMakerEndpointConfig", ["SageMakerModel"], [], [])],
    "040": [("SageMakerEndpoint", "SageMakerEndpointConfig", ["SageMakerModel"], ["EndpointAutoScaling"], [])],
    "041": [("Endpoint", "EndpointConfig", ["SagemakerModel"], ["AutoScalingTargetSagemaker"], [])],
    # EndpointConfigName is the literal "EndpointConfig.EndpointConfigName" (a checker's test fixture)
    "042": [("Endpoint", "?", [], [], [])],
}


def _id(x):
    return "?" if x is None or isinstance(x, Unknown) else x.meta.logical_id


def test_corpus_manifest_lists_every_template():
    rows = (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]
    names = sorted(r.split("\t")[0] for r in rows if r.strip())
    files = sorted(p.name for p in CORPUS.iterdir() if p.name != "MANIFEST.tsv")
    assert names == files and len(files) == 32
    assert len({r.split("\t")[1] for r in rows}) == 14  # distinct source repositories


def test_cross_resource_links_in_the_corpus():
    files, _ = discover([str(CORPUS)])
    got = {}
    for path, explicit in files:
        fr = load_file(path, explicit)
        assert fr.kind == "template" and fr.inventories, path
        inv = fr.inventories[0]
        rows = []
        for ep in inv.endpoints:
            cfg = inv.config_of(ep)
            if cfg is None or isinstance(cfg, Unknown):
                rows.append((ep.meta.logical_id, "?", [], [], []))
                continue
            variants = [v for _, v in cfg.variants()]
            rows.append((
                ep.meta.logical_id,
                cfg.meta.logical_id,
                [_id(inv.model_of(v, cfg)) for v in variants],
                [t.meta.logical_id for v in variants for t in inv.scalable_targets_for(ep, v.VariantName)],
                [a.meta.logical_id for a in inv.alarms_for(ep)],
            ))
        if rows:
            got[path.rsplit("/", 1)[-1][:3]] = rows
    assert got == LINKS


@pytest.fixture(scope="module")
def corpus_doc():
    return scan([str(CORPUS)], Config(), production=True)


def test_corpus_scans_without_crash_and_only_real_input_errors(corpus_doc):
    doc = corpus_doc
    assert doc.run.files_scanned == 32 and doc.run.files_skipped == 0
    assert [f.message for f in doc.findings if f.rule == "SM000"] == []
    bad = [(f.location.file.rsplit("/", 1)[-1][:3], f.location.line, f.path) for f in doc.findings
           if f.rule == "SM001"]
    # kics' fixture writes DataCaptureConfig as a string: CloudFormation would reject it too
    # and its Image as a list (a Fn::FindInMap without the function name)
    assert bad == [("042", 52, "Resources.EndpointConfig.Properties.DataCaptureConfig"),
                   ("042", 59, "Resources.Model.Properties.PrimaryContainer.Image")]
    assert doc.run.resources > 100


def _count_findings(doc, prefix):
    return {(f.resource.id, f.location.line, f.outcome): f.message for f in doc.findings
            if f.rule == "SM201" and f.location.file.rsplit("/", 1)[-1].startswith(prefix)
            and f.path.endswith("InitialInstanceCount")}


def test_exact_instance_count_findings(corpus_doc):
    doc = corpus_doc
    assert _count_findings(doc, "022") == {
        (f"Endpoint{i}Config", line, "fail"): "variant default runs on 1 instance(s); production needs at least 2"
        for i, line in ((1, 152), (2, 169), (3, 186))
    }
    assert _count_findings(doc, "020") == {
        ("SageMakerEndpointConfig", 12, "fail"): "variant Variant1 runs on 1 instance(s); production needs at least 2"}
    (msg,) = _count_findings(doc, "041").values()
    assert "MinInstance has no default" in msg  # a parameter without default is unknown, not a pass
    assert list(_count_findings(doc, "041")) == [("EndpointConfig", 138, "unknown")]
    # a variant named after a model's ModelName attribute shows the name the model declares
    assert ("EndpointConfig", 97, "fail") in _count_findings(doc, "024")
    assert _count_findings(doc, "024")[("EndpointConfig", 97, "fail")].startswith("variant ${SolutionPrefix}-ep runs")


def test_condition_scenarios_are_labelled(corpus_doc):
    found = _count_findings(corpus_doc, "013")
    ((key, msg),) = found.items()
    assert key == ("EndpointConfig", 80, "fail")
    assert "[when parameter StageName = " in msg


def test_fingerprints_are_stable_and_unique(corpus_doc):
    again = scan([str(CORPUS)], Config(), production=True)
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in corpus_doc.findings]
    assert again.to_json() == corpus_doc.to_json()
    fps = [f.fingerprint for f in corpus_doc.findings]
    assert len(fps) == len(set(fps))
