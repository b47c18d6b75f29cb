# One image for the four deployables: `docker run lienthong run hub` (or civil-registry,
# residence, health-insurance). docker-compose.yml builds and runs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# What the wheel is built from (pyproject.toml ships schemas/ and deploy/ inside the package;
# .dockerignore keeps fetched jars and generated files out).
COPY pyproject.toml README.md ./
COPY services ./services
COPY schemas ./schemas
COPY deploy ./deploy
RUN pip install . \
    && useradd --create-home --uid 10001 lienthong \
    && mkdir -p /app/var/state \
    && chown -R lienthong /app/var

USER lienthong
# Installed in site-packages, the source-checkout defaults for data folders do not apply.
ENV LIENTHONG_STATE_DIR=/app/var/state

# 6066 citizens (hub), 6067-6069 agencies, 6070 the hub's operators' listener (sign-in).
EXPOSE 6066 6067 6068 6069 6070
ENTRYPOINT ["lienthong"]
CMD ["--help"]
