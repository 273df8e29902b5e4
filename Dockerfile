# sm-audit as a container image whose entry point is `sm-audit`, e.g. for a
# scheduled audit or remediation task (see examples/scheduled/):
#   docker build -t sm-audit . && docker run --rm sm-audit audit --region eu-west-1
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_STATE_HOME=/tmp/state

WORKDIR /src
COPY pyproject.toml README.md ./
COPY auditor ./auditor
COPY rules ./rules
COPY reports ./reports
RUN pip install . && rm -rf /src

WORKDIR /work
# no root: the task needs nothing but network access and its AWS role
USER 65534:65534
ENTRYPOINT ["sm-audit"]
CMD ["--help"]
