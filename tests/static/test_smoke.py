from auditor.config import Config
from auditor.scan import scan

from ..conftest import CORPUS


def test_corpus_scans_without_crash():
    doc = scan([str(CORPUS)], Config(), production=True)
    assert doc.run.files_scanned == 32
    crashed = [f for f in doc.findings if f.rule == "SM000"]
    assert crashed == []
