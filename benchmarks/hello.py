"""The baseline of benchmarks/load.py: the smallest FastAPI app, served exactly as `hybrid-recsys serve` serves the bundle
(uvicorn, the same HTTP protocol with header deadlines and TCP_NODELAY, the same worker count), to show what HTTP alone costs here.

`python benchmarks/hello.py --port 8001 --workers 2`
"""
import argparse

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello():
    return {"hello": "world"}


if __name__ == "__main__":
    from hybrid_recsys.serve.api import serve
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve(port=args.port, workers=args.workers, log_level="warning", app="hello:app")
