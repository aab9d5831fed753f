# syntax=docker/dockerfile:1
# One image with the three production binaries; each workload names its binary with an explicit command
# (the chart, config/manager). The embedded development servers (FerretDB, kfake, the bKash sandbox) are not
# linked in. Base images are pinned by digest (the tag beside it says what it is): updating one is a
# reviewed commit, never a side effect of a rebuild.
ARG VERSION=devel
ARG REVISION=unknown

FROM golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647 AS build
ARG VERSION
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# -buildvcs=false: the build context has no .git (.dockerignore); the revision comes from REVISION.
RUN for b in api worker operator; do \
      CGO_ENABLED=0 go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X github.com/kalyan-platform/kalyan/internal/buildinfo.version=${VERSION}" \
        -o "/out/kalyan-${b}" "./${b}" || exit 1; \
    done

FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639
ARG VERSION
ARG REVISION
LABEL org.opencontainers.image.title="kalyan" \
      org.opencontainers.image.description="Kalyan: zakat and donations to Bangladesh's hospital social service units (kalyan-api, kalyan-worker, kalyan-operator)" \
      org.opencontainers.image.source="https://github.com/kalyan-platform/kalyan" \
      org.opencontainers.image.url="https://github.com/kalyan-platform/kalyan" \
      org.opencontainers.image.documentation="https://github.com/kalyan-platform/kalyan#readme" \
      org.opencontainers.image.vendor="Kalyan platform team" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENV KALYAN_HTTP_ADDR=0.0.0.0:8080 KALYAN_WORKER_ADDR=0.0.0.0:8081
EXPOSE 8080 8081
# No HEALTHCHECK: Kubernetes probes each workload's own endpoint (/livez, /readyz, /healthz), and the
# distroless image has no shell or client to run one.
# checkov:skip=CKV_DOCKER_2: health is probed by Kubernetes per workload; distroless has nothing to run a HEALTHCHECK with
# Every workload names its binary (command:); this default serves the API.
ENTRYPOINT ["/usr/local/bin/kalyan-api"]
