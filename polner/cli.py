"""`polner`: one command, a subcommand per pipeline stage.

Exit codes: 0 success; 1 the data has errors (each printed as `path:line: …`);
2 a usage or environment problem (bad arguments, models not found, lock held);
130 interrupted. Only this module exits; the stages return results or raise PolnerError.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from polner import __version__
from polner.issues import Issue, Level, PolnerError, ValidationFailed
from polner.layout import Layout

EXIT_OK, EXIT_DATA_ERROR, EXIT_USAGE = 0, 1, 2


def _print_issues(issues: list[Issue], fmt: str = "text") -> None:
    errors = sum(i.level is Level.ERROR for i in issues)
    warnings = len(issues) - errors
    if fmt == "json":
        print(json.dumps({"ok": errors == 0, "errors": errors, "warnings": warnings,
                          "issues": [i.as_dict() for i in issues]}, ensure_ascii=False, indent=2))
        return
    if fmt == "github":
        for issue in issues:
            print(issue.format_github())
        return
    for issue in issues:
        print(issue.format(), file=sys.stderr if issue.level is Level.ERROR else sys.stdout)


def cmd_ingest(args: argparse.Namespace, layout: Layout) -> int:
    from polner.corpus import ingest, raw_index

    for seed in sorted(args.seeds):
        if not seed.is_file():
            raise PolnerError(f"{seed}: no such file")
    known_raw = raw_index(layout, args.language)
    for seed in sorted(args.seeds):
        result = ingest(layout, seed, args.language, known_raw=known_raw)
        state = "added" if result.created else "already in the corpus"
        print(f"{seed.name} → {result.meta.id} ({state}; {len(result.cleaned.chrome_lines)} chrome lines, "
              f"{len(result.cleaned.repeated_paragraphs)} repeated paragraphs removed)")
    print("next: `polner annotate`, then `polner split`")
    return EXIT_OK


def _gold_file_issues(layout: Layout) -> list[Issue]:
    from polner.validate import validate_corpus

    return [i for i in validate_corpus(layout).issues if i.code.startswith("gold-") or "/gold/" in i.path]


def cmd_annotate(args: argparse.Namespace, layout: Layout) -> int:
    from polner.annotate import annotate_corpus
    from polner.runners import make_runner

    known = {(i.code, i.path, i.line) for i in _gold_file_issues(layout)} if args.reannotate else set()
    runner = make_runner(args.runner, workers=args.workers, address=args.ray_address)
    report = annotate_corpus(layout, args.stanza_dir, reannotate=args.reannotate,
                             batch_size=args.batch_size, progress=not args.quiet, runner=runner)
    print(f"annotated {len(report.annotated)} document(s); {report.up_to_date} already up to date")
    if report.skipped:
        print(f"not annotated: {len(report.skipped)} document(s) whose text differs from its metadata "
              f"({', '.join(report.skipped)}); run `polner validate`", file=sys.stderr)
    if args.reannotate and report.annotated:
        # what the new silver layer changed for the corrections: stale, redundant, misaligned
        issues = [i for i in _gold_file_issues(layout) if (i.code, i.path, i.line) not in known]
        if issues:
            print("corrections to re-check against the new silver layer:")
            _print_issues(issues)
            return EXIT_DATA_ERROR if any(i.level is Level.ERROR for i in issues) else EXIT_OK
    return EXIT_OK


def cmd_split(args: argparse.Namespace, layout: Layout) -> int:
    from polner.splits import assign_new_documents, load_splits, write_splits

    splits, issues = load_splits(layout)
    if issues:
        _print_issues(issues)
        return EXIT_DATA_ERROR
    texts = {}
    for language in layout.languages():
        for doc_id in layout.document_ids(language):
            path = layout.text_path(language, doc_id)
            if path.exists():
                texts[doc_id] = path.read_text(encoding="utf-8", errors="replace")
    updated = assign_new_documents(splits, texts)
    added = sum(len(updated[n]) - len(splits.get(n, [])) for n in updated)
    if added:
        write_splits(layout, updated)
    print(f"{added} document(s) assigned; " + ", ".join(f"{n}: {len(ids)}" for n, ids in updated.items()))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, layout: Layout) -> int:
    from polner.validate import validate_corpus

    report = validate_corpus(layout)
    _print_issues(report.issues, args.format)
    if args.format in ("text", "github"):
        verdict = "PASSED" if report.ok else f"FAILED with {len(report.errors)} error(s)"
        print(f"{verdict}: {report.checked} document(s) valid", file=sys.stderr if not report.ok else sys.stdout)
    return EXIT_OK if report.ok else EXIT_DATA_ERROR


def cmd_stats(args: argparse.Namespace, layout: Layout) -> int:
    from polner.splits import SPLITS
    from polner.stats import CorpusStats
    from polner.validate import iter_validated_documents

    stats, issues = CorpusStats(), []
    for document, problems in iter_validated_documents(layout):
        issues += problems
        if document is not None:
            stats.add(document)
    errors = [i for i in issues if i.level is Level.ERROR]
    if errors or not layout.languages():
        _print_issues(errors)
        print(f"FAILED: {len(errors)} error(s) (see `polner validate`); no statistics" if errors
              else "FAILED: the corpus is empty", file=sys.stderr)
        return EXIT_DATA_ERROR
    if args.format == "json":
        print(json.dumps(stats.as_dict(SPLITS), ensure_ascii=False, indent=2))
    elif args.format == "markdown":
        print(stats.to_markdown(SPLITS) + "\n\n" + stats.agreement_markdown())
    else:
        print(stats.to_text(SPLITS))
    return EXIT_OK


def cmd_build(args: argparse.Namespace, layout: Layout) -> int:
    from polner.build import build_dataset

    result = build_dataset(layout, args.output, resources_dir=args.stanza_dir, progress=not args.quiet)
    _print_issues(list(result.warnings))
    rows = ", ".join(f"{config}/{split}: {n}" for (config, split), n in sorted(result.rows.items()))
    print(f"built {result.output} from {result.documents} document(s) "
          f"({len(result.annotate.annotated)} re-annotated); rows: {rows}")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace, layout: Layout) -> int:
    import os

    from polner.publish import PublishRefused, make_api, plan_publish, publish

    token = None
    if args.push:
        token = os.environ.get("HF_TOKEN")
        if not token:
            raise PolnerError("HF_TOKEN is not set (hint: export a Hub token with write access to "
                              f"{args.repo}; it is read from the environment only)")
    api = make_api(token)
    try:
        plan = plan_publish(layout, args.output, args.repo, api=api, require_hub=args.push)
    except PublishRefused as exc:
        _print_issues(exc.issues)
        print(f"polner: {exc}", file=sys.stderr)
        return EXIT_DATA_ERROR if exc.issues else EXIT_USAGE
    print(plan.format())
    if not args.push:
        print("dry run: nothing was uploaded; run again with --push to upload and tag")
        return EXIT_OK
    result = publish(plan, api)
    print(f"uploaded {len(plan.files)} file(s) in commit {result.commit} ({result.commit_url}); "
          f"tagged {result.tag}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, layout: Layout) -> int:
    from polner.contribute import check_sentence_number, format_view, load_view, view_to_dict

    view = load_view(layout, args.doc_id)
    if args.format == "json":
        check_sentence_number(view, args.sentence)
        print(json.dumps(view_to_dict(view, args.sentence), ensure_ascii=False, indent=2))
    else:
        print(format_view(view, args.sentence), end="")
    return EXIT_OK


def cmd_correct(args: argparse.Namespace, layout: Layout) -> int:
    from polner.contribute import CorrectionRequest, describe_written, write_correction

    action, label = ("add", args.add) if args.add else ("relabel", args.relabel) if args.relabel else ("delete", None)
    request = CorrectionRequest(args.doc_id, action, args.text, label, args.sentence, args.occurrence,
                                args.entity, args.note)
    print(describe_written(write_correction(layout, request)))
    print("next: `polner validate`, then commit the gold file and open a pull request")
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    from polner.runners import RUNNERS

    parser = argparse.ArgumentParser(prog="polner", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"polner {__version__}")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="repository root holding corpus/ and annotations/ (default: .)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add raw articles to the corpus and derive their annotated text")
    p.add_argument("seeds", type=Path, nargs="+", help="raw article files (UTF-8 text)")
    p.add_argument("--language", default="fr", help="language code of the articles (default: fr)")
    p.set_defaults(func=cmd_ingest)

    stanza_help = "Stanza resources folder (default: $STANZA_RESOURCES_DIR, else Stanza's own)"
    p = sub.add_parser("annotate", help="run Stanza on documents whose silver layer is missing or stale")
    p.add_argument("--stanza-dir", type=Path, help=stanza_help)
    p.add_argument("--reannotate", action="store_true",
                   help="re-annotate every document (e.g. with a new model), then re-check corrections")
    p.add_argument("--batch-size", type=int, default=16, help="documents per Stanza call (default: 16)")
    p.add_argument("--runner", choices=RUNNERS, default="local",
                   help="where Stanza runs: this machine, or Ray Data (see docs/performance.md)")
    p.add_argument("--workers", type=int, help="worker processes, each loading Stanza once "
                   "(local default: 1, in this process; ray default: as many as the cluster's CPUs)")
    p.add_argument("--ray-address", help="Ray cluster to use with --runner ray (default: start Ray here)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("split", help="assign documents that are in no split yet (never moves one)")
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("validate", help="check every rule and report every problem",
                       epilog="exit codes: 0 valid (warnings allowed), 1 errors found, 2 usage problem; "
                              "codes are listed in docs/validation-codes.md")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="text: path:line: error[code]: message; json: one object; "
                        "github: GitHub Actions annotations")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("stats", help="corpus statistics per split and label, and Stanza's agreement with the gold")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=cmd_stats)

    from polner.labels import ENTITY_LABELS

    p = sub.add_parser("show", help="a document's sentences with offsets, tokens and entity spans")
    p.add_argument("doc_id", help="document id, e.g. fr-vladimir-poutine-demarre-mercredi-27")
    p.add_argument("--sentence", type=int, help="only this sentence (numbered from 1)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("correct", help="append one correction to a document's gold file",
                       epilog='example: polner correct DOC_ID --sentence 3 --text "Poutine" --relabel PER')
    p.add_argument("doc_id", help="document id")
    p.add_argument("--sentence", type=int, help="the sentence holding the text (numbered from 1, see `show`)")
    p.add_argument("--text", required=True, help="the entity's surface text, exactly as in the document")
    p.add_argument("--occurrence", type=int, help="which occurrence of --text, when it occurs more than once")
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--add", choices=ENTITY_LABELS, metavar="LABEL", help="add a span with this label")
    action.add_argument("--relabel", choices=ENTITY_LABELS, metavar="LABEL", help="change a span's label")
    action.add_argument("--delete", action="store_true", help="delete a span")
    p.add_argument("--entity", help="entity key, passed through to the correction")
    p.add_argument("--note", help="a note for reviewers")
    p.set_defaults(func=cmd_correct)

    p = sub.add_parser("build", help="annotate stale documents, validate, export dist/polner")
    p.add_argument("--output", type=Path, default=Path("dist"), help="output folder (default: dist)")
    p.add_argument("--stanza-dir", type=Path, help=stanza_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("publish", help="upload the build to the Hugging Face Hub and tag it (dry run by default)")
    p.add_argument("--repo", required=True, help="Hub dataset repo id, NAMESPACE/NAME")
    p.add_argument("--output", type=Path, default=Path("dist"), help="build output folder (default: dist)")
    p.add_argument("--push", action="store_true",
                   help="really upload and tag (token from $HF_TOKEN); without it, only print the plan")
    p.set_defaults(func=cmd_publish)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    layout = Layout(args.root)
    try:
        return args.func(args, layout)
    except ValidationFailed as exc:
        _print_issues(exc.issues)
        print(f"FAILED: {exc}; nothing was written", file=sys.stderr)
        return EXIT_DATA_ERROR
    except PolnerError as exc:
        print(f"polner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("polner: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `polner stats | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
