# syntax=docker/dockerfile:1
# pacer's image: one static binary on distroless (no shell, no package
# manager), running as the nonroot user, UID 65532.
#
#   docker build -t ghcr.io/pacerdev/pacer:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/pacerdev/pacer:v0.1.0 .

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/pacer ./cmd/pacer

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/pacer /pacer
USER 65532:65532
# 8080: HTTP API, dashboard, /metrics, /healthz, /readyz.
# 6443: the external metrics API server (TLS), with --external-metrics-listen.
EXPOSE 8080 6443
ENTRYPOINT ["/pacer", "serve"]
