"""`polner`: one command, a subcommand per pipeline stage.

Exit codes: 0 success; 1 the data has errors (each printed as `path:line: …`);
2 a usage or environment problem (bad arguments, models not found, lock held).
Only this module exits; the stages return results or raise PolnerError.
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
    for issue in issues:
        print(issue.format(), file=sys.stderr if issue.level is Level.ERROR else sys.stdout)


def cmd_ingest(args: argparse.Namespace, layout: Layout) -> int:
    from polner.corpus import ingest

    for seed in sorted(args.seeds):
        if not seed.is_file():
            raise PolnerError(f"{seed}: no such file")
    for seed in sorted(args.seeds):
        result = ingest(layout, seed, args.language)
        state = "added" if result.created else "already in the corpus"
        print(f"{seed.name} → {result.meta.id} ({state}; {len(result.cleaned.chrome_lines)} chrome lines, "
              f"{len(result.cleaned.repeated_paragraphs)} repeated paragraphs removed)")
    print("next: `polner annotate`, then `polner split`")
    return EXIT_OK


def cmd_annotate(args: argparse.Namespace, layout: Layout) -> int:
    from polner.annotate import annotate_corpus
    from polner.runners import make_runner

    runner = make_runner(args.runner, workers=args.workers, address=args.ray_address)
    report = annotate_corpus(layout, args.stanza_dir, reannotate=args.reannotate,
                             batch_size=args.batch_size, progress=not args.quiet, runner=runner)
    print(f"annotated {len(report.annotated)} document(s); {report.up_to_date} already up to date")
    if args.reannotate and report.annotated:
        from polner.validate import validate_corpus

        issues = [i for i in validate_corpus(layout).issues if i.code.startswith("gold-")]
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
    if args.format == "text":
        verdict = "PASSED" if report.ok else f"FAILED with {len(report.errors)} error(s)"
        print(f"{verdict}: {report.checked} document(s) valid", file=sys.stderr if not report.ok else sys.stdout)
    return EXIT_OK if report.ok else EXIT_DATA_ERROR


def cmd_build(args: argparse.Namespace, layout: Layout) -> int:
    from polner.build import build_dataset

    result = build_dataset(layout, args.output, resources_dir=args.stanza_dir, progress=not args.quiet)
    _print_issues(list(result.warnings))
    rows = ", ".join(f"{config}/{split}: {n}" for (config, split), n in sorted(result.rows.items()))
    print(f"built {result.output} from {result.documents} document(s) "
          f"({len(result.annotate.annotated)} re-annotated); rows: {rows}")
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

    p = sub.add_parser("validate", help="check every rule and report every problem")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="annotate stale documents, validate, export dist/polner")
    p.add_argument("--output", type=Path, default=Path("dist"), help="output folder (default: dist)")
    p.add_argument("--stanza-dir", type=Path, help=stanza_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_build)
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


if __name__ == "__main__":
    sys.exit(main())
