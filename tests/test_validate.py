import re
from pathlib import Path

from polner.cli import main
from polner.layout import Layout
from polner.validate import validate_corpus

REPO = Path(__file__).resolve().parent.parent
DOC = "fr-president-poutine-revele-allie-plus"


def test_the_repository_corpus_validates():
    report = validate_corpus(Layout(REPO))
    assert report.errors == []
    assert report.checked == len(Layout(REPO).document_ids("fr")) == 5


def _write_gold(root: Path, body: str) -> Path:
    path = Layout(root).gold_path("fr", DOC)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"document: {DOC}\nstatus: in-progress\ncorrections:\n" + body, encoding="utf-8")
    return path


def test_a_wrong_surface_text_names_the_file_and_line(repo_copy, capsys):
    text = Layout(repo_copy).text_path("fr", DOC).read_text(encoding="utf-8")
    start = text.index("Astana")
    _write_gold(repo_copy, f"- action: relabel\n  start: {start}\n  end: {start + 6}\n  text: Astama\n  label: LOC\n")
    code = main(["--root", str(repo_copy), "validate"])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(rf"annotations/fr/gold/{DOC}\.yaml:4: error\[gold-anchor-mismatch\]: text at "
                     rf"{start}:{start + 6} is 'Astana', not 'Astama'", err)
    assert "Traceback" not in err and "FAILED with 1 error(s)" in err


def test_every_problem_is_reported_in_one_run(repo_copy, capsys):
    layout = Layout(repo_copy)
    _write_gold(repo_copy, "- action: add\n  start: 0\n  end: 2\n  text: Le\n  label: PERSON\n")
    other = "fr-tokayev-alliance-kazakhstan-russie-entre"
    layout.meta_path("fr", other).unlink()
    text_path = layout.text_path("fr", "fr-vladimir-poutine-demarre-mercredi-27")
    text_path.write_text(text_path.read_text(encoding="utf-8") + "Ajout.\n", encoding="utf-8")
    assert main(["--root", str(repo_copy), "validate"]) == 1
    err = capsys.readouterr().err
    codes = re.findall(r"error\[([a-z0-9-]+)\]", err)
    assert {"gold-unknown-label", "meta-missing", "text-hash-mismatch", "text-not-derived", "silver-stale"} <= set(codes)


def test_json_output_is_machine_readable(repo_copy, capsys):
    import json

    _write_gold(repo_copy, "- action: delete\n  start: 0\n  end: 2\n  text: Le\n")
    assert main(["--root", str(repo_copy), "validate", "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["errors"] == 1
    issue = payload["issues"][0]
    assert (issue["code"], issue["line"], issue["path"]) == (
        "gold-stale-correction", 4, f"annotations/fr/gold/{DOC}.yaml")


def test_a_correction_that_failed_is_not_judged_as_if_it_had_applied(repo_copy, capsys):
    """The relabel of Baonghean.vn (LOC → ORG, entity baonghean-vn) has a wrong surface text:
    the span stays LOC, so it is reported as unresolved, not as 'linked to an ORG entity'."""
    gold = Layout(repo_copy).gold_path("fr", DOC)
    gold.write_text(gold.read_text(encoding="utf-8").replace("text: Baonghean.vn", "text: Baonghean.com", 1),
                    encoding="utf-8")
    assert main(["--root", str(repo_copy), "validate"]) == 1
    codes = re.findall(r"error\[([a-z0-9-]+)\]", capsys.readouterr().err)
    assert codes == ["gold-anchor-mismatch", "entity-unresolved"]
