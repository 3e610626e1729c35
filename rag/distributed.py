"""Distributed: a build's chunking and embedding on a Ray cluster (`rag index PATHS --ray ADDRESS`).

This process (the driver) reads and cleans the articles and keeps the unchanged ones out, as a local
build does (rag/build.py `changed_articles`); only new and changed articles go to the cluster, as a
Ray Data dataset whose batches a fixed pool of actors chunks and embeds (`chunk_for`, `embed_new`:
the local build's own functions). Each actor loads the model once, with one GPU where the cluster
has GPUs. Results stream back and are written here, in the order a local build writes them, by the
one writer, which commits one generation: the same chunks, ids and vectors as a local build.

Ray restarts a worker that dies and runs its batch again. A cluster that goes away mid-build fails
the build with `ClusterError`, and the index stays as it was (nothing is committed before the end).
What this leaves out: the articles are read on the driver (their text travels to the cluster and
their vectors back), and a cluster that loses only its worker nodes waits for new ones.

Ray is imported on this path only: local builds and `make run` never load it.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import socket
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .build import Changed, Embedded, chunk_for, embed_new
from .embed import Embedder
from .errors import ClusterError, RagError
from .process import DEFAULTS
from .settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

ARTICLES_PER_BATCH = 16  # articles an actor chunks and embeds per call (about 80 chunks of news)
RETRIES = 3  # restarts of a dead actor, and runs again of its batch, before the build fails
MAX_BLOCKS = 4096  # past this many batches, a block holds several
POLL = 1.0  # seconds between two checks that the cluster is still there, while waiting for results


class RayBuild:
    """Chunk and embed changed articles on a Ray cluster: the `remote` of `build.update_index`.

    `fail_once` (for tests) is a file path: the first actor to get a batch while it does not exist
    creates it and kills its own process, as a worker that dies mid-build.
    """

    def __init__(self, settings: Settings, *, actors: int | None = None, batch: int = ARTICLES_PER_BATCH,
                 fail_once: Path | None = None) -> None:
        self.settings = settings
        self.batch = batch
        self.address = settings.ray_address or "auto"
        self.actors = actors if actors is not None else settings.ray_actors
        self.fail_once = fail_once
        self.received: list[str] = []  # document ids the actors chunked and embedded, in write order

    def __call__(self, work: Iterable[Changed]) -> Iterator[list[Embedded]]:
        items = list(work)  # read on the driver first: the dataset is made of them
        if not items:  # nothing changed: the cluster is not needed
            return
        with connected(self.address) as gcs:
            yield from self._run(items, gcs)

    def _dataset(self, items: list[Changed]) -> Any:
        """The changed articles as a Ray dataset, chunked and embedded by a pool of actors."""
        import ray
        from ray.data import ActorPoolStrategy, DataContext

        DataContext.get_current().enable_progress_bars = False  # the build has its own progress line
        # Ray Data tells of every run on stderr, and of its own stats actor's failures as tracebacks
        # once a cluster is gone; the build reports what matters in one line.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
        gpus = int(resources.get("GPU", 0))
        size = self.actors or gpus or max(1, int(resources.get("CPU", 1)))
        ds: Any = ray.data.from_items([{"seq": i, "item": pickle.dumps(c)} for i, c in enumerate(items)],
                                      # a block a batch: results stream back as each batch is done
                                      override_num_blocks=min(-(-len(items) // self.batch), MAX_BLOCKS))
        with warnings.catch_warnings():
            # max_restarts/max_task_retries have no named parameter in Ray 2.60; Ray Data's default
            # (-1: retry forever) would loop on a batch that kills its worker every time.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            warnings.filterwarnings("ignore", message=".*operator only received")  # a small update
            return ds.map_batches(
                _ChunkEmbed, batch_size=self.batch, batch_format="pyarrow",
                compute=ActorPoolStrategy(size=size),
                fn_constructor_kwargs={"settings": self.settings, "device": "cuda" if gpus else self.settings.device,
                                       "fail_once": str(self.fail_once) if self.fail_once else None},
                num_gpus=1 if gpus else None, num_cpus=None if gpus else 1,
                max_restarts=RETRIES, max_task_retries=RETRIES,
            )

    def _run(self, items: list[Changed], gcs: str | None) -> Iterator[list[Embedded]]:
        # Every call into Ray runs in the pump thread: one that waits on a cluster that went away
        # leaves this thread free to notice and fail the build.
        results: queue.Queue[_Message] = queue.Queue(maxsize=4)
        stop = threading.Event()
        pump = threading.Thread(target=_pump, args=(lambda: self._dataset(items), results, stop), daemon=True,
                                name="rag-ray-results")
        pump.start()
        waiting: dict[int, Embedded] = {}
        nxt = 0
        unreachable = 0
        try:
            while nxt < len(items):
                try:
                    msg = results.get(timeout=POLL)
                except queue.Empty:
                    # Ray itself waits (and after a minute ends this process) when the cluster is gone
                    unreachable = 0 if gcs is None or _reachable(gcs) else unreachable + 1
                    if unreachable >= 2:
                        raise ClusterError(
                            f"the Ray cluster at {self.address} went away mid-build; nothing was changed; "
                            "start it again and run again, or drop --ray (unset RAG_RAY_ADDRESS) to build here"
                        ) from None
                    continue
                if msg[0] == "error":
                    raise _failed(msg[1], self.address)
                if msg[0] == "done":
                    raise ClusterError(
                        f"the Ray cluster at {self.address} returned {nxt + len(waiting)} of {len(items)} articles; "
                        "nothing was changed; run again")
                for seq, blob in zip(msg[1].column("seq").to_pylist(), msg[1].column("result").to_pylist()):
                    waiting[int(seq)] = pickle.loads(blob)
                ready = []
                while nxt in waiting:
                    ready.append(waiting.pop(nxt))
                    nxt += 1
                if ready:
                    self.received.extend(e.article.doc_id for e in ready)
                    yield ready
        finally:
            stop.set()
            pump.join(timeout=5)


class _ChunkEmbed:
    """A Ray Data actor: loads the model once, then chunks and embeds batches of changed articles."""

    def __init__(self, settings: Settings, device: str, fail_once: str | None) -> None:
        self.settings = settings
        self.embedder = Embedder(settings.model, device=device, batch_size=settings.batch_size,
                                 query_encoder=settings.query_encoder, cache_dir=settings.cache_dir,
                                 passage_encoder=settings.passage_encoder)
        self.fail_once = fail_once

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        if self.fail_once:
            try:
                os.close(os.open(self.fail_once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                os._exit(1)  # the first to create the file dies, as a worker killed mid-build
            except FileExistsError:
                pass
        items: list[Changed] = [pickle.loads(b) for b in batch.column("item").to_pylist()]
        done = embed_new([chunk_for(c, self.settings, self.embedder) for c in items], self.embedder)
        return pa.table({"seq": batch.column("seq"), "result": pa.array([pickle.dumps(e) for e in done], pa.binary())})


# What the thread reading results from Ray hands the writer: batches, then "done" or an "error".
_Message = tuple[Literal["batch"], "pa.Table"] | tuple[Literal["done"], None] | tuple[Literal["error"], BaseException]


def _pump(dataset: Callable[[], Any], out: queue.Queue[_Message], stop: threading.Event) -> None:
    """Make the dataset, read its result batches as they come and put them on `out`, until `stop`."""
    try:
        for b in dataset().iter_batches(batch_format="pyarrow", batch_size=None):
            while not stop.is_set():
                try:
                    out.put(("batch", b), timeout=POLL)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return  # leaving the loop ends the dataset's run and frees its actors
        out.put(("done", None))
    except BaseException as e:  # the writer's thread raises it
        if not stop.is_set():
            out.put(("error", e))


def _failed(e: BaseException, address: str) -> RagError:
    """The error to raise for a failure inside Ray: the library's own when a worker raised one."""
    seen = set()
    cause: BaseException | None = e
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, RagError):
            return cause
        seen.add(id(cause))
        cause = getattr(cause, "cause", None) or cause.__cause__
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return ClusterError(f"the build failed on the Ray cluster at {address} ({type(e).__name__}: {first[:300]}); "
                        "nothing was changed; fix the cause and run again, or drop --ray to build here")


def _reachable(gcs: str) -> bool:
    """The cluster's head (its GCS port) accepts connections."""
    host, _, port = gcs.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=2).close()
        return True
    except (OSError, ValueError):
        return False


@contextmanager
def connected(address: str) -> Iterator[str | None]:
    """Connected to the Ray cluster `address` ("local" starts one on this machine, "auto" joins the
    one started here, else host:port or ray://host:port), or to the one this process is already
    connected to; yields the head's GCS address (None when unknown) and disconnects at the end."""
    try:
        import ray
    except ImportError:
        raise ClusterError("indexing on a Ray cluster needs ray: pip install 'rag[ray]', "
                           "or drop --ray (unset RAG_RAY_ADDRESS) to build here") from None
    if ray.is_initialized():  # a program (or a test) that set up Ray itself keeps its connection
        yield _gcs_address()
        return
    # The workers run this very package, and stay offline and quiet as this process does.
    runtime_env = {"py_modules": [str(Path(__file__).parent)], "env_vars": dict(DEFAULTS)}
    if address not in ("local", "auto") and "://" not in address and not _reachable(address):
        # ray.init would retry for minutes
        raise ClusterError(
            f"cannot connect to a Ray cluster at {address} (nothing answers there); start one "
            "(`ray start --head`, then --ray auto), use --ray local, or drop --ray to build here")
    try:
        if address == "local":
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, runtime_env=runtime_env,
                     log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False, logging_level=logging.WARNING)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ClusterError(
            f"cannot connect to a Ray cluster at {address} ({type(e).__name__}: {first[:200]}); start one "
            "(`ray start --head`, then --ray auto), use --ray local, or drop --ray to build here") from None
    try:
        yield _gcs_address()
    finally:
        _disconnect()


def _gcs_address() -> str | None:
    import ray

    try:
        return str(ray.get_runtime_context().gcs_address)
    except Exception:  # Ray Client (ray://) has none
        return None


def _disconnect() -> None:
    """ray.shutdown(), given a few seconds: it waits on a cluster that went away."""
    import ray

    t = threading.Thread(target=ray.shutdown, daemon=True, name="rag-ray-shutdown")
    t.start()
    t.join(timeout=10)
