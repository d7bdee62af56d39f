# Two images from one file (docs/deploy.md):
#   serve (the default): `hybrid-recsys serve` from the serving install (requirements-serve.txt: no torch; a bundle's re-ranker
#                        and encoder run as ONNX graphs). 0.95 GB (benchmarks/results/stack.md).
#   train:               the serving install plus the training install (requirements-train.txt, torch from the CPU wheel
#                        index): the retrain job, MLflow's server, `hybrid-recsys pipeline`.
# The bundle is not in the image: mount it at /app/models (models/latest is the served link), so a new bundle rolls out
# without a new image.
#   make run                                                           # trains the default experiment: models/latest
#   docker build -t hybrid-recsys:serve .                              # or: podman build --build-arg BASE=<a local image>
#   docker run -p 8000:8000 -v "$PWD/models:/app/models:ro" hybrid-recsys:serve  # then http://localhost:8000/docs
#   docker build --target train -t hybrid-recsys:train .
# BASE is a build argument so that the file builds where registries are out of reach: `make images` builds a Debian
# bookworm base with debootstrap and builds both images with podman (tools/stack.py).
ARG BASE=python:3.11-slim-bookworm

# What both images share: Python's venv and the serving install's dependencies.
FROM ${BASE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    HRS_HOME=/app HRS_MODEL_DIR=/app/models/latest HRS_DATA_DIR=/app/data HRS_QUIET=1 HF_HUB_OFFLINE=1
WORKDIR /app
# A virtual environment works on any base with python3.11 and its venv module (python:3.11-slim, or Debian bookworm
# with python3-venv), and keeps clear of a distribution's externally managed site-packages.
RUN python3 -m venv /opt/venv
COPY requirements-serve.txt ./
RUN python -m pip install -r requirements-serve.txt \
 && find /opt/venv -name __pycache__ -prune -exec rm -rf {} + \
 && rm -rf /opt/venv/lib/python3.11/site-packages/pyarrow/include /opt/venv/lib/python3.11/site-packages/pyarrow/tests

FROM runtime AS train
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
COPY requirements.txt requirements-train.txt requirements-nodeps.txt constraints.txt ./
# torch alone, from the CPU wheel index (PyPI's is the CUDA build, 4 GB more); then everything else at the versions of
# constraints.txt (this project's full tested set: no resolver search), less the torch family the first step chose and
# soupsieve, whose pinned release needs Python 3.11.5 (Debian bookworm has 3.11.2; a pin no release satisfies sends pip's
# resolver backtracking for many minutes); then the data wheels, without their dependencies (see requirements-nodeps.txt).
# The package comes last, so that a change to the code rebuilds only its own layer.
RUN python -m pip install --index-url ${TORCH_INDEX} --extra-index-url https://pypi.org/simple \
      $(grep -E '^(torch|torchvision)==' requirements-train.txt) \
 && grep -v -E '^(torch|torchvision|triton|nvidia-|cuda-|soupsieve)' constraints.txt > /tmp/constraints.txt \
 && python -m pip install -c /tmp/constraints.txt -r requirements-train.txt \
 && python -m pip install --no-deps -r requirements-nodeps.txt \
 && find /opt/venv -name __pycache__ -prune -exec rm -rf {} +
COPY settings.ini setup.py README.md ./
COPY hybrid_recsys ./hybrid_recsys
RUN python -m pip install --no-deps . && python -c "import torch, hybrid_recsys.serve.retrain"
CMD ["hybrid-recsys", "retrain", "--quiet"]

# The default target, last: the package, installed without its dependencies (they are the runtime's), and no torch.
FROM runtime AS serve
COPY settings.ini setup.py README.md requirements.txt requirements-train.txt ./
COPY hybrid_recsys ./hybrid_recsys
# Byte-compiled here, once: a container compiles nothing when it starts (0.15 GB of bytecode; from its start to /ready
# in 2.4 s instead of about 5, docs/deploy.md).
RUN python -m pip install --no-deps . && python -m compileall -q -j 0 /opt/venv/lib/python3.11/site-packages \
 && python -c "import hybrid_recsys.serve.api" && ! python -c "import torch" 2>/dev/null
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4)"
CMD ["hybrid-recsys", "serve", "--host", "0.0.0.0", "--port", "8000"]
