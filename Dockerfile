# kubelab: a multi-stage build. The first stage compiles Kubernetes (about
# 8 minutes); the runtime image holds the binary only and runs as non-root.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build && (strip bin/kubelab || true)

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home kubelab
COPY --from=build /src/bin/kubelab /usr/local/bin/kubelab
USER 10001
VOLUME /data
EXPOSE 8080
ENV GOMEMLIMIT=1GiB
ENTRYPOINT ["/usr/local/bin/kubelab"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
