# The hybrid_recsys service: `hybrid-recsys serve` (uvicorn with header deadlines) serving the bundle in models/latest.
#   make run                                   # trains the default experiment and writes models/latest
#   docker build -t hybrid-recsys .            # or: --build-arg BASE=<a local python:3.11 image>
#   docker run -p 8000:8000 hybrid-recsys      # then http://localhost:8000/docs
# The base image is a build argument so that the file can be built where registries are out of reach
# (see README: "Docker"). torch comes from the CPU wheel index by default (TORCH_INDEX) to keep the image small.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH \
    HRS_HOME=/app HRS_MODEL_DIR=/app/models/latest HRS_QUIET=1 HF_HUB_OFFLINE=1
WORKDIR /app
# A virtual environment works on any base with python3.11 and its venv module (python:3.11-slim, or Debian
# bookworm with python3-venv), and keeps clear of a distribution's externally managed site-packages.
RUN python3 -m venv /opt/venv

# Dependencies first (a layer that changes only with the pins): torch alone, then everything pinned, then the data wheels.
COPY requirements.txt constraints.txt requirements-nodeps.txt ./
RUN python -m pip install --index-url ${TORCH_INDEX} --extra-index-url https://pypi.org/simple $(grep -E '^(torch|torchvision)==' requirements.txt)
# The direct requirements are pinned exactly; what torch installed above is pinned as it is (so the resolver does not
# explore other CUDA library versions). constraints.txt, this machine's full freeze, is not used here: it names a few
# versions that only a local package mirror carries.
RUN python -m pip freeze > /tmp/torch-set.txt \
 && grep -v -E '^(torch|torchvision)==' requirements.txt > /tmp/requirements.txt \
 && python -m pip install -c /tmp/torch-set.txt -r /tmp/requirements.txt \
 && python -m pip install --no-deps -r requirements-nodeps.txt
RUN python -m pip check | grep -v -E '^recbole' ; exit 0

# The package (exported from the notebooks), then the bundle it serves.
COPY settings.ini setup.py README.md ./
COPY hybrid_recsys ./hybrid_recsys
RUN python -m pip install --no-deps . && python -c "import hybrid_recsys.serve.api"
COPY models/ ./models/

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["hybrid-recsys", "serve", "--host", "0.0.0.0", "--port", "8000"]
