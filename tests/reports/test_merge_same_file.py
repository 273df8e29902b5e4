"""``report`` merging two results that cover the same file (main and a
branch): the file counts once and each (file, fingerprint) finding once."""

from __future__ import annotations

from tests.static.helpers import GOOD, run_cli


def test_two_results_for_the_same_file_count_it_once(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stack.yaml").write_text(GOOD)
    main = run_cli(capsys, "scan", "--production", "stack.yaml", "-f", "json", "--fail-on", "never")
    (tmp_path / "main.json").write_text(main.out)
    # the branch moved the resources down two lines: same findings, other lines
    (tmp_path / "stack.yaml").write_text(GOOD.replace("Resources:\n", "Description: moved\n\nResources:\n"))
    branch = run_cli(capsys, "scan", "--production", "stack.yaml", "-f", "json", "--fail-on", "never")
    (tmp_path / "branch.json").write_text(branch.out)
    assert main.doc["run"]["files"] == ["stack.yaml"]
    merged = run_cli(capsys, "report", "main.json", "branch.json", "-f", "json").doc
    assert merged["run"]["files_scanned"] == 1 and merged["run"]["files"] == ["stack.yaml"]
    keys = [(f["location"]["file"], f["fingerprint"]) for f in merged["findings"]]
    assert len(keys) == len(set(keys)) == len(main.doc["findings"])
    assert {f["location"]["line"] for f in merged["findings"]} == \
        {f["location"]["line"] for f in main.doc["findings"]}  # the first result's copy is kept
    text = run_cli(capsys, "report", "main.json", "branch.json").out
    assert text.splitlines()[-1].endswith(" in 1 file(s)")


def test_results_for_different_files_still_add_up(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(GOOD)
        r = run_cli(capsys, "scan", "--production", name, "-f", "json", "--fail-on", "never")
        (tmp_path / f"{name}.json").write_text(r.out)
    merged = run_cli(capsys, "report", "a.yaml.json", "b.yaml.json", "-f", "json").doc
    assert merged["run"]["files_scanned"] == 2 and merged["run"]["files"] == ["a.yaml", "b.yaml"]
    per_file = {}
    for f in merged["findings"]:
        per_file[f["location"]["file"]] = per_file.get(f["location"]["file"], 0) + 1
    assert per_file["a.yaml"] == per_file["b.yaml"] > 0
