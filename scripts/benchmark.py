#!/usr/bin/env python
"""Benchmark polner at 1×, 10× and 100× the corpus: annotate and build, each side by side with
a baseline, plus incremental rebuilds and the annotation runners. Prints Markdown tables.

    python scripts/benchmark.py                      # the full run (~10 minutes on 2 cores)
    python scripts/benchmark.py --sizes 1,10 --skip-annotate   # build only, a minute

1× is the real corpus (corpus/, five articles). 10× and 100× are temporary polner repositories
made from ../shared/bench/wikineural-fr-docs.jsonl (benchmark text only, never shipped): the
first documents of the file up to 10× and 100× the corpus's tokens, ingested, annotated and
split with polner's own code. The silver layer of the bench texts is cached outside the
repository (--cache, default ~/.cache/polner-bench) so that --skip-annotate runs need no Stanza.

Every measurement runs in a fresh Python process, which reports its wall and CPU time and its
peak resident memory (ru_maxrss); the two sides of each comparison run one after the other.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LANGUAGE = "fr"
DEFAULT_BENCH = REPO.parent / "shared" / "bench" / "wikineural-fr-docs.jsonl"
DEFAULT_CACHE = Path.home() / ".cache" / "polner-bench"


# --- measurements, each run in a child process ------------------------------------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def silver_tokens(root: Path) -> int:
    """Surface tokens in a repository's silver layer (lines carrying character offsets)."""
    total = 0
    for path in (root / "annotations" / LANGUAGE / "silver").glob("*.conllu"):
        with path.open(encoding="utf-8") as handle:
            total += sum(1 for line in handle if "\tstart_char=" in line)
    return total


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


class Clock:
    """Wall and CPU seconds of a block, and the process's memory before it."""

    def __enter__(self) -> "Clock":
        self.start_rss_mb = _rss_mb()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self.wall
        self.cpu_seconds = time.process_time() - self.cpu

    def report(self, **extra: object) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "start_rss_mb": self.start_rss_mb,
                "peak_rss_mb": _peak_rss_mb(), **extra}


def measure_annotate_polner(root: Path, resources: Path, batch_size: int) -> dict:
    """polner's annotate step (stale detection, Stanza, silver formatting, atomic writes)."""
    from polner.annotate import annotate_corpus
    from polner.layout import Layout
    from polner.runners import InProcessRunner

    runner = InProcessRunner()
    load = time.perf_counter()
    runner.annotator(LANGUAGE, resources)  # loaded before the clock, as for bare Stanza
    load = time.perf_counter() - load
    with Clock() as clock:
        report = annotate_corpus(Layout(root), resources, batch_size=batch_size, progress=False, runner=runner)
    return clock.report(docs=len(report.annotated), tokens=silver_tokens(root), load_seconds=load,
                        torch_threads=_torch_threads())


def measure_annotate_stanza(root: Path, resources: Path, batch_size: int) -> dict:
    """Bare Stanza: one Pipeline with the same processors over the same texts, given as
    lists of stanza.Document (Stanza's documented way to process many documents)."""
    import stanza

    from polner.silver import PROCESSORS, batched

    load = time.perf_counter()
    nlp = stanza.Pipeline(LANGUAGE, dir=str(resources), processors=PROCESSORS[LANGUAGE],
                          download_method=None, logging_level="WARN")
    load = time.perf_counter() - load
    paths = sorted((root / "corpus" / LANGUAGE / "text").glob("*.txt"))
    tokens = 0
    with Clock() as clock:
        for chunk in batched(paths, batch_size):
            docs = nlp([stanza.Document([], text=path.read_text(encoding="utf-8")) for path in chunk])
            tokens += sum(len(sentence.tokens) for doc in docs for sentence in doc.sentences)
    return clock.report(docs=len(paths), tokens=tokens, load_seconds=load, torch_threads=_torch_threads())


def measure_annotate_runner(root: Path, resources: Path, batch_size: int, runner: str, workers: int) -> dict:
    """End to end with a runner, its workers' model loading included."""
    from polner.annotate import annotate_corpus
    from polner.layout import Layout
    from polner.runners import make_runner

    with Clock() as clock:
        report = annotate_corpus(Layout(root), resources, batch_size=batch_size, progress=False,
                                 runner=make_runner(runner, workers=workers))
    # the largest finished child: a pool worker (Ray's workers are children of its raylet)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return clock.report(docs=len(report.annotated), tokens=silver_tokens(root), children_peak_rss_mb=children)


def measure_build_polner(root: Path, output: Path) -> dict:
    """`polner build` with an up-to-date silver layer: corrections, validation, export."""
    import pyarrow
    import tqdm

    from polner.build import build_dataset
    from polner.layout import Layout

    # Library imports stay outside both clocks: the build imports tqdm, and pyarrow imports
    # pandas on its first conversion (the naive side imports both with datasets).
    tqdm.tqdm(disable=True).close()
    pyarrow.array([0])
    with Clock() as clock:
        result = build_dataset(Layout(root), output, progress=False)
    return clock.report(docs=result.documents, tokens=silver_tokens(root), rows=sum(result.rows.values()),
                        annotated=len(result.annotate.annotated), stanza_imported="stanza" in sys.modules)


def naive_rows(path: Path) -> list[dict]:
    """What a user might write: read a CoNLL-U file into one row per sentence."""
    rows: list[dict] = []
    tokens: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("# sent_id = "):
            sent_id, tokens, tags, starts, ends = line[12:], [], [], [], []
        elif line.startswith("# text = "):
            text = line[9:]
        elif line.startswith("#"):
            continue
        elif not line:
            if tokens:
                rows.append({"id": sent_id, "doc_id": path.stem, "text": text, "tokens": tokens,
                             "ner_tags": tags, "token_starts": starts, "token_ends": ends})
                tokens = []
        else:
            columns = line.split("\t")
            if columns[9] == "_":
                continue  # a word of a multi-word token: the token line has the offsets
            misc = dict(item.split("=", 1) for item in columns[9].split("|"))
            ner = misc["ner"]
            tokens.append(columns[1])
            tags.append({"S": "B", "E": "I"}.get(ner[0], ner[0]) + ner[1:])  # BIOES -> IOB2
            starts.append(int(misc["start_char"]))
            ends.append(int(misc["end_char"]))
    return rows


def measure_build_naive(root: Path, output: Path) -> dict:
    """The baseline: read the silver files, datasets.Dataset.from_list, to_parquet."""
    import datasets

    datasets.disable_progress_bars()
    with Clock() as clock:
        rows = []
        for path in sorted((root / "annotations" / LANGUAGE / "silver").glob("*.conllu")):
            rows += naive_rows(path)
        datasets.Dataset.from_list(rows).to_parquet(str(output / "sentences.parquet"))
    return clock.report(docs=len({row["doc_id"] for row in rows}), tokens=silver_tokens(root), rows=len(rows))


def measure_annotate_incremental(root: Path, resources: Path) -> dict:
    """`polner annotate` after one text changed: model loading included, as a user sees it."""
    from polner.annotate import annotate_corpus
    from polner.layout import Layout

    with Clock() as clock:
        report = annotate_corpus(Layout(root), resources, progress=False)
    return clock.report(docs=len(report.annotated), up_to_date=report.up_to_date)


MEASUREMENTS = {
    "annotate-polner": measure_annotate_polner,
    "annotate-stanza": measure_annotate_stanza,
    "annotate-runner": measure_annotate_runner,
    "annotate-incremental": measure_annotate_incremental,
    "build-polner": measure_build_polner,
    "build-naive": measure_build_naive,
}


TORCH_THREADS = 1


def measure(name: str, *args: object) -> dict:
    """Run one measurement in a fresh Python process and return what it reports."""
    loadavg = os.getloadavg()[0]
    spec = json.dumps([name, [str(a) if isinstance(a, Path) else a for a in args]])
    command = [sys.executable, __file__, "--measure", spec]
    env = {**os.environ, "OMP_NUM_THREADS": str(TORCH_THREADS)}  # torch's intra-op threads
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
    if done.returncode != 0:
        raise SystemExit(f"measurement {name} {args} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["loadavg"] = (loadavg + os.getloadavg()[0]) / 2
    print(f"  {name:<22} {result.get('docs', ''):>5} docs  {result['seconds']:8.2f} s  "
          f"peak {result['peak_rss_mb']:7.0f} MB  (load average {result['loadavg']:.1f})", file=sys.stderr)
    return result


def run_measurement(spec: str) -> None:
    name, args = json.loads(spec)
    args = [Path(a) if isinstance(a, str) and a.startswith("/") else a for a in args]  # paths are absolute
    print(json.dumps(MEASUREMENTS[name](*args)))


# --- the benchmark corpora --------------------------------------------------------------


def bench_doc_id(bench_id: str) -> str:
    """`wikineural-fr-val-0007` → `fr-wikineural-val-0007` (polner ids start with the language)."""
    return f"{LANGUAGE}-" + bench_id.replace(f"-{LANGUAGE}-", "-")


def corpus_tokens() -> int:
    from polner.splits import count_tokens

    return sum(count_tokens(p.read_text(encoding="utf-8")) for p in (REPO / "corpus" / LANGUAGE / "text").glob("*.txt"))


def bench_prefix(bench: Path, tokens: int) -> list[dict]:
    """The first documents of the bench file, up to `tokens` model-free tokens."""
    from polner.splits import count_tokens

    docs, total = [], 0
    with bench.open(encoding="utf-8") as handle:
        for line in handle:
            if total >= tokens:
                break
            doc = json.loads(line)
            docs.append(doc)
            total += count_tokens(doc["text"])
    if total < tokens:
        raise SystemExit(f"{bench} has only {total} tokens, fewer than the {tokens} asked")
    return docs


def make_repository(root: Path, bench_docs: list[dict] | None) -> None:
    """A polner repository: the real corpus (None), or bench documents ingested and split."""
    from polner.cli import main
    from polner.corpus import ingest
    from polner.layout import Layout

    root.mkdir(parents=True)
    shutil.copy(REPO / "DATASET_CARD.md", root / "DATASET_CARD.md")
    if bench_docs is None:
        shutil.copytree(REPO / "corpus", root / "corpus")
        return
    seeds = root.parent / f"{root.name}-seeds"
    seeds.mkdir()
    layout = Layout(root)
    known_raw: dict[str, str] = {}  # a new repository: no raw file yet
    for doc in bench_docs:
        seed = seeds / f"{doc['id']}.txt"
        seed.write_text(doc["text"] + "\n", encoding="utf-8")
        ingest(layout, seed, LANGUAGE, doc_id=bench_doc_id(doc["id"]), known_raw=known_raw)
    with contextlib.redirect_stdout(io.StringIO()):
        if main(["--root", str(root), "split"]) != 0:
            raise SystemExit(f"{root}: polner split failed")


def silver_folder(root: Path) -> Path:
    return root / "annotations" / LANGUAGE / "silver"


def save_to_cache(root: Path, cache: Path) -> None:
    (cache / "silver").mkdir(parents=True, exist_ok=True)
    for path in silver_folder(root).glob("*.conllu"):
        shutil.copy(path, cache / "silver" / path.name)


def load_from_cache(root: Path, cache: Path, resources: Path) -> None:
    """Copy the cached silver files in; annotate (with polner, in a child) what is missing or stale."""
    from polner.layout import Layout

    folder = silver_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id in Layout(root).document_ids(LANGUAGE):
        cached = cache / "silver" / f"{doc_id}.conllu"
        if cached.exists():
            shutil.copy(cached, folder / cached.name)
    done = subprocess.run([sys.executable, "-m", "polner", "--root", str(root), "annotate", "--quiet",
                           "--stanza-dir", str(resources)], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{root}: polner annotate failed:\n{done.stderr[-4000:]}")
    save_to_cache(root, cache)


def strip_silver(root: Path, into: Path) -> None:
    """A copy of a repository without its silver layer."""
    shutil.copytree(root, into, ignore=shutil.ignore_patterns("annotations", ".*.lock"))


CORRECTED_SHARE = 10  # one document in ten gets a correction file before the builds


def write_correction(root: Path, doc_id: str, *, not_label: str | None = None) -> str | None:
    """A correction file relabelling the document's first silver entity; the new label, or None
    when the document has no entity."""
    from polner.layout import Layout
    from polner.silver import parse_silver, silver_spans

    layout = Layout(root)
    text = layout.text_path(LANGUAGE, doc_id).read_text(encoding="utf-8")
    spans = silver_spans(parse_silver(layout.silver_path(LANGUAGE, doc_id).read_text(encoding="utf-8")), text)
    if not spans:
        return None
    span = spans[0]
    label = next(label for label in ("ORG", "PER", "LOC", "MISC") if label not in (span.label, not_label))
    path = layout.gold_path(LANGUAGE, doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"document: {doc_id}\nstatus: in-progress\ncorrections:\n- action: relabel\n"
                    f"  start: {span.start}\n  end: {span.end}\n  text: {json.dumps(span.text)}\n"
                    f"  label: {label}\n", encoding="utf-8")
    return label


def add_corrections(root: Path) -> int:
    """Correction files for one document in CORRECTED_SHARE, so that builds apply corrections."""
    from polner.layout import Layout

    ids = Layout(root).document_ids(LANGUAGE)
    return sum(write_correction(root, doc_id) is not None for doc_id in ids[::CORRECTED_SHARE])


def change_one_correction(root: Path) -> str:
    """Give the first correction file another label, as a reviewer changing their mind."""
    import yaml

    from polner.layout import Layout

    layout = Layout(root)
    for doc_id in layout.document_ids(LANGUAGE):
        path = layout.gold_path(LANGUAGE, doc_id)
        if path.exists():
            label = yaml.safe_load(path.read_text(encoding="utf-8"))["corrections"][0]["label"]
            write_correction(root, doc_id, not_label=label)
            return doc_id
    raise SystemExit(f"{root}: no correction file to change")


def change_one_text(root: Path) -> str:
    """Append a sentence to the last document's raw article and update its text and metadata."""
    from polner.corpus import clean_text, sha256_text, write_meta
    from polner.layout import Layout
    from polner.validate import load_meta

    layout = Layout(root)
    doc_id = layout.document_ids(LANGUAGE)[-1]
    raw = layout.raw_path(LANGUAGE, doc_id).read_text(encoding="utf-8").rstrip("\n")
    raw += " Le Kremlin a confirmé la visite de Vladimir Poutine à Astana.\n"
    text = clean_text(raw, LANGUAGE).text
    layout.raw_path(LANGUAGE, doc_id).write_text(raw, encoding="utf-8")
    layout.text_path(LANGUAGE, doc_id).write_text(text, encoding="utf-8")
    meta, issues = load_meta(layout, LANGUAGE, doc_id)
    if meta is None:
        raise SystemExit(f"{doc_id}: {issues}")
    write_meta(layout.meta_path(LANGUAGE, doc_id),
               replace(meta, raw_sha256=hashlib.sha256(raw.encode()).hexdigest(), text_sha256=sha256_text(text)))
    return doc_id


# --- the report -------------------------------------------------------------------------


def machine() -> list[str]:
    import datasets
    import pyarrow

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    versions = {"python": platform.python_version()}
    for name in ("torch", "stanza", "ray"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = "not installed"
    versions.update(pyarrow=pyarrow.__version__, datasets=datasets.__version__)
    return [f"- CPU: {os.cpu_count()} cores (`nproc`), {cpu}",
            f"- memory: {int(memory) / 1024 / 1024:.1f} GiB",
            "- " + ", ".join(f"{name} {version}" for name, version in versions.items())]


def rate(result: dict) -> str:
    return f"{result['tokens'] / result['seconds']:,.0f}"


def children_peak(runner: str, result: dict) -> str:
    if runner.startswith("Ray"):
        return "not measured"  # Ray's actors are children of its raylet, not of the driver
    return f"{result['children_peak_rss_mb']:.0f}" if result["children_peak_rss_mb"] else "none"


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (peak memory: the highest of the runs)."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="1,10,100", help="corpus sizes, in multiples of the corpus (default: 1,10,100)")
    parser.add_argument("--skip-annotate", action="store_true",
                        help="no annotate comparison, runners or incremental annotation (silver from the cache)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build measurement (default: 3)")
    parser.add_argument("--batch-size", type=int, default=16, help="documents per Stanza call (default: 16)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the runner comparison (default: 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads of each annotating process, both sides (default: 1; see docs/performance.md)")
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH, help="JSON lines of {id, text}")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="silver cache (default: %(default)s)")
    parser.add_argument("--stanza-dir", type=Path, help="Stanza resources (default: $STANZA_RESOURCES_DIR)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    args = parser.parse_args()
    if args.measure:
        run_measurement(args.measure)
        return 0

    from polner.models import resolve_resources_dir

    global TORCH_THREADS
    TORCH_THREADS = args.threads
    resources = resolve_resources_dir(args.stanza_dir).resolve()
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if any(size > 1 for size in sizes) and not args.bench.is_file():
        parser.error(f"no bench texts at {args.bench}: give their path with --bench")
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="polner-bench-"))
    results: dict[str, object] = {"sizes": sizes, "threads": args.threads, "batch_size": args.batch_size}
    try:
        base_tokens = corpus_tokens()
        roots = {}
        for size in sizes:
            root = workdir / f"{size}x"
            docs = None if size == 1 else bench_prefix(args.bench, size * base_tokens)
            make_repository(root, docs)
            roots[size] = root
            print(f"{size}×: {root} ({len(list((root / 'corpus' / LANGUAGE / 'meta').iterdir()))} documents)",
                  file=sys.stderr)

        annotate: dict[int, dict] = {}
        if not args.skip_annotate:
            for size in sizes:
                print(f"annotate {size}×", file=sys.stderr)
                runs: dict[str, list[dict]] = {"stanza": [], "polner": []}
                for attempt in range(args.repeat if size <= 10 else 1):  # 100× takes minutes a run
                    shutil.rmtree(silver_folder(roots[size]), ignore_errors=True)
                    runs["stanza"].append(measure("annotate-stanza", roots[size], resources, args.batch_size))
                    runs["polner"].append(measure("annotate-polner", roots[size], resources, args.batch_size))
                annotate[size] = {name: median_run(r) for name, r in runs.items()}
                annotate[size]["runs"] = {name: [run["seconds"] for run in measured] for name, measured in runs.items()}
                save_to_cache(roots[size], args.cache)
        else:
            for size in sizes:
                load_from_cache(roots[size], args.cache, resources)
        results["annotate"] = annotate

        runners: dict[str, dict] = {}
        runner_size = max([s for s in sizes if s <= 10] or sizes[:1])
        if not args.skip_annotate:
            print(f"runners at {runner_size}×", file=sys.stderr)
            reference = {p.name: p.read_bytes() for p in silver_folder(roots[runner_size]).glob("*.conllu")}
            for name, runner, workers in (("in process", "local", 1),
                                          (f"{args.workers} processes", "local", args.workers),
                                          (f"Ray, {args.workers} actors", "ray", args.workers)):
                root = workdir / f"runner-{runner}-{workers}"
                strip_silver(roots[runner_size], root)
                result = measure("annotate-runner", root, resources, args.batch_size, runner, workers)
                result["identical"] = reference == {p.name: p.read_bytes() for p in silver_folder(root).glob("*.conllu")}
                runners[name] = result
                shutil.rmtree(root)
        results["runners"] = runners

        build: dict[int, dict] = {}
        for size in sizes:
            corrected = add_corrections(roots[size])
            print(f"build {size}× ({corrected} correction files)", file=sys.stderr)
            runs: dict[str, list[dict]] = {"naive": [], "polner": []}
            for attempt in range(args.repeat):
                for name in ("naive", "polner"):
                    output = workdir / f"out-{size}-{name}-{attempt}"
                    output.mkdir()
                    runs[name].append(measure(f"build-{name}", roots[size], output))
                    shutil.rmtree(output)
            build[size] = {name: median_run(r) for name, r in runs.items()}
            build[size]["corrected"] = corrected
            build[size]["polner_runs"] = [r["seconds"] for r in runs["polner"]]
            build[size]["naive_runs"] = [r["seconds"] for r in runs["naive"]]
        results["build"] = build

        largest = sizes[-1]
        print(f"incremental at {largest}×", file=sys.stderr)
        incremental = {"size": largest, "corrected": change_one_correction(roots[largest])}
        output = workdir / "out-incremental"
        output.mkdir()
        incremental["build_after_correction"] = measure("build-polner", roots[largest], output)
        if not args.skip_annotate:
            incremental["changed"] = change_one_text(roots[largest])
            incremental["annotate_after_text"] = measure("annotate-incremental", roots[largest], resources)
            incremental["build_after_text"] = measure("build-polner", roots[largest], output)
        results["incremental"] = incremental
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["minutes"] = (time.time() - started) / 60
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(render(results, base_tokens))
    return 0


def render(results: dict, base_tokens: int) -> str:
    lines = ["## Machine", "", *machine(),
             f"- corpus: {base_tokens:,} model-free tokens (`polner.splits.count_tokens`) = 1×; "
             f"run took {results['minutes']:.1f} minutes",
             f"- settings: {results['threads']} torch thread(s) per annotating process (both sides), "
             f"{results['batch_size']} documents per Stanza call, build times the median of "
             f"{len(next(iter(results['build'].values()))['polner_runs'])} runs", ""]
    annotate = results["annotate"]
    if annotate:
        lines += ["## Annotate: polner vs bare Stanza", "",
                  "| size | docs | tokens | bare Stanza tok/s | polner tok/s | polner time / Stanza time | "
                  "bare peak MB | polner peak MB | load avg |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for size, pair in annotate.items():
            bare, ours = pair["stanza"], pair["polner"]
            lines.append(f"| {size}× | {ours['docs']} | {ours['tokens']:,} | {rate(bare)} | {rate(ours)} | "
                         f"{ours['seconds'] / bare['seconds']:.3f} | {bare['peak_rss_mb']:.0f} | "
                         f"{ours['peak_rss_mb']:.0f} | {(bare['loadavg'] + ours['loadavg']) / 2:.1f} |")
        first = next(iter(annotate.values()))
        lines += ["", f"Model loading (not in the times above): bare {first['stanza']['load_seconds']:.1f} s, "
                      f"polner {first['polner']['load_seconds']:.1f} s (it also hashes the model files). "
                      "Times are the median of the runs: " + "; ".join(
                          f"{size}× Stanza {', '.join(f'{t:.1f}' for t in pair['runs']['stanza'])}, polner "
                          f"{', '.join(f'{t:.1f}' for t in pair['runs']['polner'])}" for size, pair in annotate.items())
                  + " s.", ""]
    runners = results["runners"]
    if runners:
        lines += ["## Annotation runners (model loading included)", "",
                  "| runner | docs | tokens | seconds | tok/s | driver peak MB | largest child peak MB | "
                  "silver identical to the in-process run |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, result in runners.items():
            lines.append(f"| {name} | {result['docs']} | {result['tokens']:,} | {result['seconds']:.1f} | "
                         f"{rate(result)} | {result['peak_rss_mb']:.0f} | {children_peak(name, result)} | "
                         f"{'yes' if result['identical'] else 'NO'} |")
        lines.append("")
    build = results["build"]
    lines += ["## Build without Stanza: polner vs a naive export", "",
              "| size | docs | corrected docs | tokens | sentences | naive s | naive tok/s | polner s | polner tok/s | "
              "polner / naive time | naive peak MB | polner peak MB |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size, pair in build.items():
        naive, ours = pair["naive"], pair["polner"]
        lines.append(f"| {size}× | {ours['docs']} | {pair['corrected']} | {ours['tokens']:,} | {ours['rows']:,} | "
                     f"{naive['seconds']:.2f} | "
                     f"{rate(naive)} | {ours['seconds']:.2f} | {rate(ours)} | {ours['seconds'] / naive['seconds']:.2f} | "
                     f"{naive['peak_rss_mb']:.0f} | {ours['peak_rss_mb']:.0f} |")
        if naive["rows"] != ours["rows"]:
            lines.append(f"| | | | | **naive {naive['rows']} rows vs polner {ours['rows']}** | | | | | | | |")
    sizes = sorted(build)
    if 10 in build and 100 in build:
        lines += ["", f"Linearity: polner build 100× / 10× time = "
                      f"{build[100]['polner']['seconds'] / build[10]['polner']['seconds']:.2f} (target ≤ 11); naive "
                      f"{build[100]['naive']['seconds'] / build[10]['naive']['seconds']:.2f}."]
    lines += ["", "Times are the median of the runs: " + "; ".join(
        f"{s}× polner {', '.join(f'{t:.2f}' for t in build[s]['polner_runs'])}, naive "
        f"{', '.join(f'{t:.2f}' for t in build[s]['naive_runs'])}" for s in sizes) + ".", ""]
    inc = results["incremental"]
    lines += [f"## Incremental work at {inc['size']}×", "",
              "| change | step | documents annotated | seconds | Stanza loaded |", "|---|---|---|---|---|"]
    after = inc["build_after_correction"]
    lines.append(f"| one correction ({inc['corrected']}) | build | {after['annotated']} | {after['seconds']:.2f} | "
                 f"{'yes' if after['stanza_imported'] else 'no'} |")
    if "annotate_after_text" in inc:
        ann, after = inc["annotate_after_text"], inc["build_after_text"]
        lines.append(f"| one text ({inc['changed']}) | annotate | {ann['docs']} (of {ann['docs'] + ann['up_to_date']}) | "
                     f"{ann['seconds']:.2f} | yes |")
        lines.append(f"| | then build | {after['annotated']} | {after['seconds']:.2f} | "
                     f"{'yes' if after['stanza_imported'] else 'no'} |")
        if inc["size"] in annotate:
            full = annotate[inc["size"]]["polner"]
            lines.append(f"| (everything, for scale) | annotate all | {full['docs']} | "
                         f"{full['seconds'] + full['load_seconds']:.1f} | yes |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
