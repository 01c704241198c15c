# Autograd Live: serves the app on port 8000 with the CPU build of PyTorch.
FROM node:20-slim AS vendor
WORKDIR /src
COPY package.json package-lock.json ./
# --omit=dev: axe-core, the accessibility test's, is not served.
RUN npm ci --no-audit --no-fund --omit=dev

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    AUTOGRAD_LIVE_STATIC_DIR=/srv/autograd-live/static \
    AUTOGRAD_LIVE_TEMPLATES_DIR=/srv/autograd-live/templates \
    AUTOGRAD_LIVE_DATA_DIR=/srv/autograd-live/data
WORKDIR /srv/autograd-live
# CPU wheels only: the default torch wheel on Linux pulls several GB of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN pip install -c constraints.txt .
COPY templates ./templates
COPY static ./static
COPY --from=vendor /src/node_modules/uplot/dist/uPlot.esm.js /src/node_modules/uplot/dist/uPlot.min.css \
     /src/node_modules/uplot/LICENSE ./static/vendor/uplot/
COPY --from=vendor /src/node_modules/@dagrejs/dagre/dist/dagre.esm.js /src/node_modules/@dagrejs/dagre/LICENSE \
     ./static/vendor/dagre/
RUN useradd --system --uid 10001 autograd && mkdir -p /srv/autograd-live/data && chown autograd /srv/autograd-live/data
# The runs' database: mount a volume here to keep runs across containers.
VOLUME /srv/autograd-live/data
USER autograd
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["python", "-m", "app", "--host", "0.0.0.0", "--port", "8000"]
