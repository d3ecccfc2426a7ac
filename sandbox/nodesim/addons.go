package nodesim

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

//go:embed addons.yaml
var addonsYAML []byte

// addons decodes the objects of addons.yaml.
func addons() ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(addonsYAML)))
	var out []runtime.Object
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("nodesim: addons.yaml: %w", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("nodesim: addons.yaml: %w", err)
		}
		out = append(out, obj)
	}
}

// untilDone calls create until it succeeds (the API server takes the
// objects) or ctx ends, backing off between tries.
func untilDone(ctx context.Context, create func(context.Context) error) {
	for delay := time.Second; ctx.Err() == nil; delay = min(delay*2, 30*time.Second) {
		if err := create(ctx); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func (s *Simulator) createAddons(ctx context.Context) error {
	objs, err := addons()
	if err != nil {
		return err
	}
	opts := metav1.CreateOptions{}
	for _, obj := range objs {
		switch o := obj.(type) {
		case *corev1.ServiceAccount:
			_, err = s.client.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, opts)
		case *corev1.ConfigMap:
			_, err = s.client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, opts)
		case *corev1.Service:
			_, err = s.client.CoreV1().Services(o.Namespace).Create(ctx, o, opts)
		case *appsv1.Deployment:
			_, err = s.client.AppsV1().Deployments(o.Namespace).Create(ctx, o, opts)
		case *appsv1.DaemonSet:
			_, err = s.client.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, opts)
		default:
			return fmt.Errorf("nodesim: addons.yaml: unexpected %T", obj)
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("nodesim: add-on %T: %w", obj, err)
		}
	}
	return nil
}
