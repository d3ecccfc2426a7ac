# kubelab: a multi-stage build. The first stage compiles Kubernetes (about
# 8 minutes); the runtime images hold the binary. The default (embedded)
# image runs as non-root; the kind image talks to the host's Docker socket.
#
#   docker build -t kubelab .                  # embedded sandboxes (default)
#   docker build -t kubelab:kind --target kind .  # adds the docker CLI for the kind backend
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build && (strip bin/kubelab || true)

FROM debian:bookworm-slim AS kind
# kind drives the host's Docker engine through the docker CLI (socket mounted).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates docker.io && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home kubelab
COPY --from=build /src/bin/kubelab /usr/local/bin/kubelab
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kubelab"]
CMD ["serve", "--mode", "class", "--backend", "kind", "--addr", "0.0.0.0:8080", "--data", "/data"]

FROM debian:bookworm-slim AS embedded
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home kubelab
COPY --from=build /src/bin/kubelab /usr/local/bin/kubelab
USER 10001
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kubelab"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
