# syntax=docker/dockerfile:1
# The Signet service images, one target each: `docker build --target log|ca|prober .`
# Node 24 runs services/**/*.ts directly (type stripping), so there is no compile step; the images
# hold services/, a package.json and production node_modules, nothing else.
# Bases are pinned by tag here; the images workflow resolves each to its current digest and
# substitutes it at build time through buildx named build contexts (--build-context <image>=docker-image://<image>@sha256:…).
# __tests__/images/production-build.test.ts runs this file's build steps and starts every target.

# What the services import, and nothing more: package.json narrowed to those packages and the
# lock pruned to match, every remaining package at its locked version.
FROM node:24-slim AS manifest
WORKDIR /app
COPY package.json package-lock.json ./
COPY images/production-manifest.ts images/
COPY services/ services/
RUN node images/production-manifest.ts
RUN npm install --package-lock-only --ignore-scripts --no-audit --no-fund

# A separate stage so the install layer is reused until the narrowed manifest changes.
FROM node:24-slim AS dependencies
WORKDIR /app
COPY --from=manifest /app/package.json /app/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The distroless runtime has no shell to create directories with; the data directories come from
# here, owned by the nonroot user (65532). With a read-only root filesystem the chart mounts
# volumes over them and over /tmp, the only places the services write.
FROM node:24-slim AS data
RUN mkdir -p /var/lib/signet/log /var/lib/signet/ca /var/lib/signet/prober

FROM gcr.io/distroless/nodejs24-debian12:nonroot AS runtime
ARG REVISION=""
LABEL org.opencontainers.image.vendor="Signet" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/package.json ./
COPY --from=dependencies /app/node_modules/ node_modules/
COPY services/ services/
COPY --from=data --chown=65532:65532 /var/lib/signet/ /var/lib/signet/
USER 65532:65532

FROM runtime AS log
LABEL org.opencontainers.image.title="signet-log" \
      org.opencontainers.image.description="Signet transparency log, CT log and timestamp authority"
ENV SIGNET_LOG_DATA_DIR=/var/lib/signet/log
EXPOSE 3000
ENTRYPOINT ["/nodejs/bin/node", "--single-threaded-gc", "--max-semi-space-size=8", "services/log/main.ts"]

FROM runtime AS ca
LABEL org.opencontainers.image.title="signet-ca" \
      org.opencontainers.image.description="Signet certificate authority"
ENV SIGNET_CA_DATA_DIR=/var/lib/signet/ca
EXPOSE 3001
ENTRYPOINT ["/nodejs/bin/node", "--single-threaded-gc", "--max-semi-space-size=16", "services/ca/main.ts"]

# `docker run <image> --once` runs one round and exits with its result.
FROM runtime AS prober
LABEL org.opencontainers.image.title="signet-prober" \
      org.opencontainers.image.description="Signet prober: write and read probes, log monitor"
ENV SIGNET_PROBER_STATE=/var/lib/signet/prober/monitor.json
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "services/prober/main.ts"]
