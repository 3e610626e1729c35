"""llama.cpp's own HTTP server (the `xllamacpp` wheel) with a GGUF model, as a process of its own:
`python tests/llamacpp_server.py MODEL.gguf PORT`. It serves until killed."""

import sys
import time


def main(model: str, port: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = 8192
    params.n_parallel = 1
    params.cpuparams.n_threads = 1  # one thread was faster than two on a busy 2-core machine
    params.cpuparams_batch.n_threads = 1
    params.use_jinja = True
    server = xllamacpp.Server(params)  # noqa: F841  (serves while it is referenced)
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
