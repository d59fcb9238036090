"""Where Stanza runs: in this process, in N worker processes on this machine, or on a Ray
cluster. Every runner loads Stanza once per worker, formats the silver CoNLL-U there, and hands
the text back; `annotate_corpus` writes the files, so the silver layer is the same whichever
runner made it (Stanza's output for a document does not depend on the other documents of its
batch, nor on the number of torch threads: see docs/performance.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from polner.issues import PolnerError
from polner.silver import StanzaAnnotator, TextToAnnotate, batched, format_silver

RUNNERS = ("local", "ray")


@dataclass(frozen=True)
class SilverText:
    """One document's silver file as a runner returns it: the CoNLL-U text and the digest of
    the pipeline that made it (every worker must have loaded the same models)."""

    doc_id: str
    conllu: str
    pipeline: str


class Runner(Protocol):
    def annotate(self, todo: Sequence[TextToAnnotate], resources_dir: Path,
                 batch_size: int) -> Iterator[SilverText]:
        """The silver text of every document of `todo` (one language), as each is ready."""
        ...


def annotate_batch(annotator: StanzaAnnotator, batch: Sequence[TextToAnnotate]) -> list[SilverText]:
    """Run Stanza on one batch and format each document's silver file."""
    digest = annotator.fingerprint.digest
    return [SilverText(item.doc_id, format_silver(silver, item.text), digest)
            for item, silver in zip(batch, annotator.annotate(batch))]


class InProcessRunner:
    """Stanza in this process; each language's pipeline is loaded once and kept for later calls."""

    def __init__(self) -> None:
        self._annotators: dict[tuple[str, Path], StanzaAnnotator] = {}

    def annotator(self, language: str, resources_dir: Path) -> StanzaAnnotator:
        key = (language, resources_dir)
        if key not in self._annotators:
            self._annotators[key] = StanzaAnnotator(language, resources_dir)
        return self._annotators[key]

    def annotate(self, todo: Sequence[TextToAnnotate], resources_dir: Path,
                 batch_size: int) -> Iterator[SilverText]:
        if not todo:
            return
        annotator = self.annotator(todo[0].language, resources_dir)
        for batch in batched(todo, batch_size):
            yield from annotate_batch(annotator, batch)


# --- N worker processes on this machine ------------------------------------------------

_worker_annotator: StanzaAnnotator | PolnerError | None = None


def _start_worker(language: str, resources_dir: str, threads: int) -> None:
    """Process-pool initializer: load Stanza once for the life of the worker."""
    global _worker_annotator
    import torch

    torch.set_num_threads(threads)
    try:
        _worker_annotator = StanzaAnnotator(language, Path(resources_dir))
    except PolnerError as exc:  # raised again by the first task, where the caller sees it
        _worker_annotator = exc


def _annotate_in_worker(batch: list[TextToAnnotate]) -> list[SilverText]:
    if isinstance(_worker_annotator, PolnerError):
        raise _worker_annotator
    assert _worker_annotator is not None
    return annotate_batch(_worker_annotator, batch)


class ProcessPoolRunner:
    """`workers` processes, each loading Stanza once and using its share of the CPU cores."""

    def __init__(self, workers: int):
        if workers < 1:
            raise PolnerError(f"--workers must be at least 1, not {workers}")
        self.workers = workers

    def annotate(self, todo: Sequence[TextToAnnotate], resources_dir: Path,
                 batch_size: int) -> Iterator[SilverText]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        if not todo:
            return
        workers = min(self.workers, -(-len(todo) // batch_size))
        threads = max(1, (os.cpu_count() or 1) // workers)
        # spawn, not fork: a forked child of a process that already ran torch can deadlock in OpenMP
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker,
                                   initargs=(todo[0].language, str(resources_dir), threads))
        try:
            for results in pool.map(_annotate_in_worker, batched(todo, batch_size)):
                yield from results
        except BrokenProcessPool as exc:
            raise PolnerError(f"an annotation worker process died ({exc}); out of memory? "
                              "try fewer --workers") from None
        finally:
            pool.shutdown(cancel_futures=True)  # when the caller stops early, not after every batch


# --- Ray Data ---------------------------------------------------------------------------


class RayBatchAnnotator:
    """A Ray Data actor: loads Stanza once, then annotates the batches it is given."""

    def __init__(self, language: str, resources_dir: str):
        self.annotator = StanzaAnnotator(language, Path(resources_dir))

    def __call__(self, batch: dict) -> dict[str, list[str]]:
        items = [TextToAnnotate(str(doc_id), str(language), str(text), str(digest))
                 for doc_id, language, text, digest
                 in zip(batch["doc_id"], batch["language"], batch["text"], batch["text_sha256"])]
        results = annotate_batch(self.annotator, items)
        return {"doc_id": [r.doc_id for r in results], "conllu": [r.conllu for r in results],
                "pipeline": [r.pipeline for r in results]}


class RayRunner:
    """Ray Data: the stale texts become a dataset, mapped by a pool of actors that each load
    Stanza once. `address` None starts Ray on this machine; an address (`ray://…:10001` or
    `host:6379`) uses that cluster. `actors` None lets the pool grow to the cluster's CPUs.

    The polner package is shipped to the workers with the job; Stanza and torch must be
    installed there, and the models must be at `resources_dir` on every node."""

    def __init__(self, address: str | None = None, actors: int | None = None):
        if actors is not None and actors < 1:
            raise PolnerError(f"--workers must be at least 1, not {actors}")
        self.address = address
        self.actors = actors

    def annotate(self, todo: Sequence[TextToAnnotate], resources_dir: Path,
                 batch_size: int) -> Iterator[SilverText]:
        if not todo:
            return
        try:
            import ray
            import ray.data
        except ImportError:
            raise PolnerError("the ray runner needs Ray Data: pip install 'ray[data]'") from None
        ray_data_logger = logging.getLogger("ray.data")
        started_here = not ray.is_initialized()
        if started_here:
            import polner

            if self.address:
                _check_reachable(self.address)  # ray.init would wait minutes for a wrong address
            try:
                ray.init(address=self.address, logging_level="error", log_to_driver=False,
                         runtime_env={"py_modules": [str(Path(polner.__file__).parent)]})
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise PolnerError(f"cannot connect to Ray at {self.address or 'a local instance'}: {exc}") from None
        context = ray.data.DataContext.get_current()
        saved_bars, saved_level = context.enable_progress_bars, ray_data_logger.level
        context.enable_progress_bars = False  # polner shows its own; Ray's INFO lines would break it
        ray_data_logger.setLevel(logging.ERROR)
        try:
            items = [{"doc_id": t.doc_id, "language": t.language, "text": t.text, "text_sha256": t.text_sha256}
                     for t in todo]
            pool = (ray.data.ActorPoolStrategy(size=self.actors) if self.actors
                    else ray.data.ActorPoolStrategy(min_size=1, max_size=None))
            dataset = ray.data.from_items(items).map_batches(
                RayBatchAnnotator, fn_constructor_args=(todo[0].language, str(resources_dir)),
                batch_size=batch_size, compute=pool, num_cpus=1,
            )
            try:
                for row in dataset.iter_rows():
                    yield SilverText(row["doc_id"], row["conllu"], row["pipeline"])
            except ray.exceptions.RayError as exc:
                raise PolnerError(f"the Ray annotation failed: {_ray_error_message(exc)}") from None
        finally:
            context.enable_progress_bars = saved_bars
            ray_data_logger.setLevel(saved_level)
            if started_here:
                ray.shutdown()


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast when nothing listens at a `host:port` or `ray://host:port` address."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise PolnerError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None


def _ray_error_message(exc: BaseException) -> str:
    """The worker's own error out of a Ray error, which carries the remote traceback as text."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("polner.issues.PolnerError: "):
            return line.removeprefix("polner.issues.PolnerError: ")
    return lines[-1] if lines else type(exc).__name__


def make_runner(name: str = "local", *, workers: int | None = None, address: str | None = None) -> Runner:
    """The runner a command line names: `local` (N processes, 1 = this one) or `ray`."""
    if name == "ray":
        return RayRunner(address, workers)
    if address:
        raise PolnerError("--ray-address needs --runner ray")
    if workers is None or workers == 1:
        return InProcessRunner()
    return ProcessPoolRunner(workers)
