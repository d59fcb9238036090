from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from small_corpus import FULL_REGISTRY, SANDU, VISIT, copy_corpus, correction, write_gold, write_registry

from polner.build import export_dataset
from polner.cli import main
from polner.document import AnnotatedDocument, DocumentMeta, PipelineFingerprint, Sentence, SilverDocument, Span, Token
from polner.labels import ENTITY_LABELS, token_spans_to_iob2
from polner.silver import silver_spans
from polner.splits import SPLITS
from polner.stats import MICRO, CorpusStats
from polner.validate import validate_corpus

# Stanza's spans in the fixture (see tests/fixtures/corpus_small/annotations/fr/silver):
# visit (train): LOC Astana ×2, Kremlin, Kazakhstan; PER M. Poutine, Kassym-Jomart Tokaïev,
#                Vladimir Poutine; ORG Union économique eurasiatique
# sandu (test):  PER Maïa Sandu ×2, M. Sandu; LOC Moscou ×2, Chisinau; ORG Union européenne,
#                Affaires étrangères


def reviewed_visit(layout):
    """The visit document reviewed: Kremlin becomes ORG, "M. Poutine" becomes "Poutine"."""
    write_gold(layout, VISIT, [correction(layout, VISIT, "relabel", "Kremlin", label="ORG"),
                               correction(layout, VISIT, "delete", "M. Poutine"),
                               correction(layout, VISIT, "add", "Poutine", label="PER")], status="reviewed")


@pytest.fixture
def layout(tmp_path):
    layout = copy_corpus(tmp_path)
    write_registry(layout, FULL_REGISTRY)
    reviewed_visit(layout)
    # in progress, so not scored; links Chisinau to astana so that an entity is in both splits
    write_gold(layout, SANDU, [correction(layout, SANDU, "link", "Chisinau", entity="astana")])
    return layout


def corpus_stats(layout) -> CorpusStats:
    report = validate_corpus(layout, keep_documents=True)
    assert report.ok, [i.format() for i in report.errors]
    stats = CorpusStats()
    for document in report.documents:
        stats.add(document)
    return stats


def silver_counts(layout, doc_id):
    """Sentences and surface tokens, counted from the CoNLL-U file itself."""
    lines = layout.silver_path("fr", doc_id).read_text(encoding="utf-8").split("\n")
    sentences = sum(line.startswith("# sent_id") for line in lines)
    tokens = sum(not line.startswith("#") and "start_char=" in line for line in lines)
    return sentences, tokens


def test_sizes_mentions_and_distinct_entities_per_split_and_label(layout):
    data = corpus_stats(layout).as_dict(SPLITS)["splits"]
    for split, doc_id in (("train", VISIT), ("test", SANDU)):
        sizes = (data[split]["documents"], data[split]["sentences"], data[split]["tokens"])
        assert sizes == (1, *silver_counts(layout, doc_id))
    train, test, total = data["train"], data["test"], data["all"]

    def per_label(split, what):
        return [split["labels"][label][what] for label in ("PER", "ORG", "LOC", "MISC")]

    assert per_label(train, "mentions") == [3, 2, 3, 0]
    assert per_label(test, "mentions") == [3, 2, 3, 0]
    # train: vladimir-poutine ×2, kassym-jomart-tokaiev; astana ×2, kazakhstan;
    # union-economique-eurasiatique, kremlin
    assert per_label(train, "distinct_entities") == [2, 2, 2, 0]
    assert (train["mentions"], train["distinct_entities"], train["mentions_without_entity"]) == (8, 6, 0)
    # test: maia-sandu ×3; moscou ×2, astana (the planted link); union-europeenne;
    # "Affaires étrangères" unresolved
    assert per_label(test, "distinct_entities") == [1, 1, 2, 0]
    assert (test["mentions"], test["distinct_entities"], test["mentions_without_entity"]) == (8, 4, 1)
    # distinct entities of the whole corpus are a union, not a sum: astana is in both splits
    assert total["labels"]["LOC"]["distinct_entities"] == 3
    assert (total["documents"], total["mentions"], total["distinct_entities"]) == (2, 16, 9)


def test_agreement_counts_exact_matches_in_reviewed_documents_only(layout):
    agreement = corpus_stats(layout).agreement
    assert (agreement.documents, agreement.sentences) == (1, silver_counts(layout, VISIT)[0])
    scores = {s.label: s for s in agreement.scores()}
    # by hand: LOC gold {Astana ×2, Kazakhstan}, Stanza adds Kremlin; PER "M. Poutine" ≠ "Poutine";
    # ORG gold {Union économique eurasiatique, Kremlin}, Stanza finds the first only
    assert [(scores[l].gold, scores[l].predicted, scores[l].correct) for l in ("LOC", "PER", "ORG", "MISC", MICRO)] == [
        (3, 4, 3), (3, 3, 2), (2, 1, 1), (0, 0, 0), (8, 8, 6)]
    assert scores["LOC"].precision == pytest.approx(0.75) and scores["LOC"].recall == 1.0
    assert scores["LOC"].f1 == pytest.approx(6 / 7)
    assert scores["ORG"].precision == 1.0 and scores["ORG"].recall == 0.5
    assert scores[MICRO].f1 == pytest.approx(0.75)
    assert scores["MISC"].f1 == 0.0


def _tags(spans, sentence):
    first = {t.start: i for i, t in enumerate(sentence.tokens)}
    last = {t.end: i for i, t in enumerate(sentence.tokens)}
    inside = [(first[s.start], last[s.end], s.label) for s in spans if sentence.start <= s.start < sentence.end]
    return token_spans_to_iob2(len(sentence.tokens), inside)


def seqeval_report(documents):
    """seqeval's strict IOB2 scores of Stanza against the final spans, sentence by sentence."""
    gold_tags, silver_tags = [], []
    for document in documents:
        silver = silver_spans(document.silver, document.text)
        for sentence in document.silver.sentences:
            gold_tags.append(_tags(document.spans, sentence))
            silver_tags.append(_tags(silver, sentence))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns about labels with no prediction
        return classification_report(gold_tags, silver_tags, mode="strict", scheme=IOB2, output_dict=True)


def assert_same_as_seqeval(stats: CorpusStats, expected: dict) -> None:
    scores = {s.label: s for s in stats.agreement.scores()}
    for label, row in expected.items():
        if label in ("macro avg", "weighted avg"):
            continue
        ours = scores[MICRO if label == "micro avg" else label]
        assert ours.gold == row["support"], label
        assert (ours.precision, ours.recall, ours.f1) == pytest.approx(
            (row["precision"], row["recall"], row["f1-score"])), label
    reported = {label for label in expected if label not in ("micro avg", "macro avg", "weighted avg")}
    assert reported == {s.label for s in scores.values() if s.label != MICRO and (s.gold or s.predicted)}


def test_agreement_equals_seqeval_strict_iob2_on_the_fixture(layout):
    write_gold(layout, SANDU, [correction(layout, SANDU, "delete", "Affaires étrangères"),
                               correction(layout, SANDU, "add", "ministère russe des Affaires étrangères", label="ORG"),
                               correction(layout, SANDU, "relabel", "Moscou", occurrence=1, label="ORG",
                                          entity="kremlin"),
                               correction(layout, SANDU, "delete", "M. Sandu")],
               status="reviewed")
    report = validate_corpus(layout, keep_documents=True)
    assert report.ok, [i.format() for i in report.errors]
    stats = CorpusStats()
    for document in report.documents:
        stats.add(document)
    assert stats.agreement.documents == 2
    expected = seqeval_report(report.documents)
    assert expected["micro avg"]["support"] == 15
    assert_same_as_seqeval(stats, expected)


# --- agreement against seqeval on generated documents ------------------------------------

_span_draws = st.lists(st.tuples(st.integers(0, 9), st.integers(1, 3), st.sampled_from(ENTITY_LABELS)), max_size=4)


def _non_overlapping(draws, length):
    taken: set[int] = set()
    spans = []
    for first, size, label in draws:
        last = first + size - 1
        if last < length and not taken & set(range(first, last + 1)):
            taken |= set(range(first, last + 1))
            spans.append((first, last, label))
    return sorted(spans)


def _bioes(length, spans):
    tags = ["O"] * length
    for first, last, label in spans:
        if first == last:
            tags[first] = f"S-{label}"
        else:
            tags[first], tags[last] = f"B-{label}", f"E-{label}"
            for i in range(first + 1, last):
                tags[i] = f"I-{label}"
    return tags


@st.composite
def documents(draw):
    """A reviewed document: random sentences, Stanza spans, and final spans that keep, relabel
    or drop some of Stanza's and add others."""
    sentences, final, text = [], [], ""
    for index in range(1, draw(st.integers(1, 4)) + 1):
        length = draw(st.integers(1, 10))
        words = [f"W{index}x{i}" for i in range(length)]
        starts = []
        for word in words:
            starts.append(len(text))
            text += word + " "
        silver = _non_overlapping(draw(_span_draws), length)
        kept = [(f, l, draw(st.sampled_from(ENTITY_LABELS)) if draw(st.booleans()) else lab)
                for f, l, lab in silver if draw(st.booleans())]
        gold = _non_overlapping([(f, l - f + 1, lab) for f, l, lab in kept] + draw(_span_draws), length)
        tags = _bioes(length, silver)
        tokens = tuple(Token(w, s, s + len(w), (), ner=t) for w, s, t in zip(words, starts, tags))
        sentences.append(Sentence(index, " ".join(words), tokens))
        final += [Span(tokens[f].start, tokens[l].end, lab, text[tokens[f].start:tokens[l].end], "gold")
                  for f, l, lab in gold]
        text = text[:-1] + "\n"
    meta = DocumentMeta("fr-generated", "fr", None, None, None, (), None, None, "test", None, "0" * 64, "0" * 64)
    silver = SilverDocument("fr-generated", "fr", "0" * 64, PipelineFingerprint("x", "x", ()), tuple(sentences))
    return AnnotatedDocument(meta, text, silver, tuple(final), "reviewed", "train")


@settings(max_examples=150, deadline=None)
@given(st.lists(documents(), min_size=1, max_size=3))
def test_agreement_equals_seqeval_strict_iob2_on_generated_documents(docs):
    assume(any(d.spans for d in docs) or any(silver_spans(d.silver, d.text) for d in docs))
    stats = CorpusStats()
    for document in docs:
        stats.add(document)
    assert_same_as_seqeval(stats, seqeval_report(docs))


# --- the `stats` command and the dataset card --------------------------------------------


def test_stats_command_json(layout, capsys):
    assert main(["--root", str(layout.root), "stats", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["splits"]["all"]["distinct_entities"] == 9
    assert data["agreement"]["reviewed_documents"] == 1
    micro = [s for s in data["agreement"]["scores"] if s["label"] == MICRO][0]
    assert (micro["gold"], micro["predicted"], micro["correct"], micro["f1"]) == (8, 8, 6, 0.75)


def test_stats_command_text_and_markdown_say_what_is_scored(layout, capsys):
    assert main(["--root", str(layout.root), "stats"]) == 0
    text = capsys.readouterr().out
    assert "Over the 1 document(s) whose gold status is `reviewed`" in text
    assert "distinct entities" in text
    assert main(["--root", str(layout.root), "stats", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| LOC | 3 | 4 | 3 | 75.0 | 100.0 | 85.7 |" in markdown
    assert "| micro-average | 8 | 8 | 6 | 75.0 | 75.0 | 75.0 |" in markdown
    assert "| all | 2 | " in markdown


def test_stats_command_refuses_invalid_data_with_file_and_line(layout, capsys):
    path, lines = write_gold(layout, VISIT, [correction(layout, VISIT, "relabel", "Kremlin", label="ORG")
                                             .replace("text: 'Kremlin'", "text: 'Kremlim'")])
    assert main(["--root", str(layout.root), "stats", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}:{lines[0]}: error[gold-anchor-mismatch]" in captured.err
    assert "no statistics" in captured.err


def test_the_card_has_both_tables_and_is_deterministic(layout, tmp_path):
    export_dataset(layout, tmp_path / "a", progress=False)
    export_dataset(layout, tmp_path / "b", progress=False)
    card = (tmp_path / "a" / "README.md").read_text(encoding="utf-8")
    assert card == (tmp_path / "b" / "README.md").read_text(encoding="utf-8")
    assert "{{" not in card
    assert "| split | documents | sentences | tokens | mentions | distinct entities |" in card
    assert "### Baseline: Stanza against the gold annotation" in card
    assert "Over the 1 document(s) whose gold status is `reviewed`" in card
    assert "| micro-average | 8 | 8 | 6 | 75.0 | 75.0 | 75.0 |" in card


def test_the_card_says_when_nothing_is_reviewed(tmp_path):
    layout = copy_corpus(tmp_path)
    export_dataset(layout, tmp_path / "out", progress=False)
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "No document has `status: reviewed` yet" in card
    assert "| micro-average |" not in card
