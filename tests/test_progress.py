"""Progress of a build where stderr is not a terminal: plain lines, at most one every 5 s, and a last one."""

import io

from rag.build import _Progress


def test_plain_lines_at_most_every_five_seconds_then_a_last_line():
    now = [0.0]
    out = io.StringIO()
    progress = _Progress(tty=False, stream=out, clock=lambda: now[0])
    for _ in range(10):  # a batch of 256 chunks every 2 s
        now[0] += 2
        progress.add(256)
    progress.close()
    assert out.getvalue().splitlines() == [
        "rag: embedded 768 chunks (128.0 chunks/s)",
        "rag: embedded 1,536 chunks (128.0 chunks/s)",
        "rag: embedded 2,304 chunks (128.0 chunks/s)",
        "rag: embedded 2,560 chunks in 20.0 s (128.0 chunks/s)",
    ]


def test_nothing_embedded_prints_nothing():
    out = io.StringIO()
    progress = _Progress(tty=False, stream=out, clock=lambda: 100.0)
    progress.add(0)
    progress.close()
    assert out.getvalue() == ""
