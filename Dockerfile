# syntax=docker/dockerfile:1
# Remit images: one builder, one slim runtime, one target per process.
#
#   docker build --target registry    -t remit/registry .      # HTTP 8001
#   docker build --target projections -t remit/projections .   # HTTP 8002
#   docker build --target notifier    -t remit/notifier .      # HTTP 8003
#   docker build --target tools       -t remit/tools .         # remit CLI, migrations, topics, import
#
# No secrets here: every REMIT_* value that matters is given at run time (docs/configuration.md).
#
# Behind a TLS-intercepting proxy, give pip and npm the proxy's CA as the optional build secret
# ca_bundle (mounted only while pip or npm runs, in no layer):
#   docker build --secret id=ca_bundle,src=/etc/ssl/certs/ca-certificates.crt --target registry .
# (compose: docker-compose.ca-bundle.yml). CI builds every target with podman (make
# images-local) and tests/unit/deploy/test_dockerfile.py checks this file statically.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- pages-assets: GOV.UK Frontend (npm, pinned by tools/pages/package-lock.json) built ------
# into the pages' CSS and scripts; only the built files leave this stage.
FROM ${NODE_IMAGE} AS pages-assets
WORKDIR /src/tools/pages
COPY tools/pages/package.json tools/pages/package-lock.json ./
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle; fi \
 && npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY tools/pages/build.mjs tools/pages/remit.scss ./
RUN node build.mjs /assets

# ---- builder: the project and its runtime dependencies (no dev extras) in /opt/remit ----------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/remit
ENV PATH=/opt/remit/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone, so this layer is rebuilt only when it changes.
COPY pyproject.toml ./
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && mkdir -p schemas services infra \
 && touch schemas/__init__.py services/__init__.py infra/__init__.py \
 && pip install . \
 && pip uninstall -y remit \
 && rm -rf build ./*.egg-info schemas services infra
COPY schemas ./schemas
COPY services ./services
COPY infra ./infra
COPY --from=pages-assets /assets ./services/projections/entrypoints/pages/assets
RUN --mount=type=secret,id=ca_bundle \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && pip install --no-deps . \
 && python -m compileall -q /opt/remit

# ---- runtime: slim, non-root, nothing but the venv -------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/remit/bin:$PATH
# /run/remit/keys and /run/remit/jwks: mount points of docker-compose.yml's signing-keys and
# jwks volumes, owned by remit so that a new, empty volume is too (Docker and podman copy a
# mount point's owner and mode into a new volume).
RUN groupadd --system --gid 10001 remit \
 && useradd --system --uid 10001 --gid remit --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin remit \
 && install -d -o remit -g remit -m 0700 /run/remit/keys \
 && install -d -o remit -g remit -m 0755 /run/remit/jwks
COPY --from=builder /opt/remit /opt/remit
WORKDIR /app
# Services listen on every interface inside the container (they default to loopback elsewhere).
ENV REMIT_HOST=0.0.0.0
USER remit
STOPSIGNAL SIGTERM

# ---- registry: write side (serve migrates first; the relay runs in-process) -------------------
FROM runtime AS registry
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/healthz', timeout=4)"]
CMD ["python", "-m", "services.registry", "serve"]

# ---- projections: read models ----------------------------------------------------------------
FROM runtime AS projections
EXPOSE 8002
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8002/healthz', timeout=4)"]
CMD ["python", "-m", "services.projections"]

# ---- notifier: email and webhook alerts ------------------------------------------------------
FROM runtime AS notifier
EXPOSE 8003
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8003/healthz', timeout=4)"]
CMD ["python", "-m", "services.notifier"]

# ---- tools: the remit CLI, the init and keys jobs, and the datasets --------------------------
FROM runtime AS tools
COPY --chown=root:root data ./data
COPY --chown=root:root tools/compose/init_stack.py tools/compose/keys.py ./tools/compose/
CMD ["remit", "--help"]
