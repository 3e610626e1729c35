"""A helper process for the crash test: runs `rag index` in forked children and SIGKILLs them.

Importing torch and sentence-transformers takes most of a `rag index` start-up (seconds), which would
allow only a handful of kills in the test's time budget. This process imports them once, then for each
request forks a child that runs the CLI's own `main(argv)` (the model is loaded in the child, as in a
real run) and kills it with SIGKILL after the requested delay, unless it finished first. The kill is
done here, by the child's parent, so no other process can ever be hit by a reused pid.

Protocol: one JSON request per line on stdin, `{"argv": [...], "delay": seconds or null, "log": path}`;
one JSON reply per line on stdout, `{"killed": bool, "rc": exit code or null, "elapsed": seconds}`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def serve() -> None:
    import faiss  # noqa: F401  (imported here so that children start warm)
    import sentence_transformers  # noqa: F401

    import rag.cli
    from rag.chunk import get_encoding

    get_encoding("cl100k_base")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: a `rag index` run with its output in a log file
            fd = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            try:
                rc = rag.cli.main(req["argv"])
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException:
                rc = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc)
        delay = req.get("delay")
        killed = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if delay is not None and time.monotonic() - t0 >= delay:
                os.kill(pid, signal.SIGKILL)  # our own unreaped child: the pid cannot belong to anyone else
                _, status = os.waitpid(pid, 0)
                killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
                break
            time.sleep(0.002)
        rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        print(json.dumps({"killed": killed, "rc": rc, "elapsed": time.monotonic() - t0}), flush=True)


if __name__ == "__main__":
    serve()
