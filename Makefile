# kubelab build. `make build` writes bin/kubelab.
K8S_VERSION := v1.37.2
LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
           -X k8s.io/component-base/version.gitMajor=1 \
           -X k8s.io/component-base/version.gitMinor=37 \
           -X k8s.io/client-go/pkg/version.gitVersion=$(K8S_VERSION) \
           -X k8s.io/client-go/pkg/version.gitMajor=1 \
           -X k8s.io/client-go/pkg/version.gitMinor=37

.PHONY: build run test bench
build:
	go build -ldflags "$(LDFLAGS)" -o bin/kubelab ./cmd/kubelab

test:
	./scripts/test.sh

# Runs kubelab for one learner on this machine: http://127.0.0.1:8080
run: build
	bin/kubelab serve

bench: build
	./bench/run.sh
