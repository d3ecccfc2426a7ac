// Command rewind measures a step snapshot and its restore (package
// sandbox/snapshot) on a running sandbox, usually one filled with the
// course's content by bench/fill:
//
//	go run ./bench/rewind -kubeconfig DIR/kubeconfig [-runs 5]
//
// Each run takes a snapshot and saves it, makes a learner's changes (a
// Deployment created, a ConfigMap deleted and one edited, a Deployment
// scaled), restores the snapshot, then restores it again with nothing left
// to do. It prints the objects saved, the file's size and the times.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/snapshot"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the sandbox's kubeconfig")
	runs := flag.Int("runs", 5, "how many snapshot/restore rounds")
	flag.Parse()
	if err := run(*kubeconfig, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "rewind:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, runs int) error {
	rc, err := sandbox.RESTFromKubeconfig(kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	c, err := snapshot.New(rc, "")
	if err != nil {
		return err
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rewind-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var take, restore, noop []time.Duration
	for i := 0; i < runs; i++ {
		if err := setup(ctx, cs); err != nil {
			return err
		}
		t0 := time.Now()
		s, err := c.Take(ctx)
		if err != nil {
			return err
		}
		n, err := s.Save(filepath.Join(dir, "step.json"))
		if err != nil {
			return err
		}
		take = append(take, time.Since(t0))
		if i == 0 {
			fmt.Printf("snapshot: %d objects, %d bytes on disk\n", len(s.Items), n)
		}
		if err := change(ctx, cs); err != nil {
			return err
		}
		loaded, err := snapshot.Load(filepath.Join(dir, "step.json"))
		if err != nil {
			return err
		}
		t0 = time.Now()
		res, err := c.Restore(ctx, loaded)
		if err != nil {
			return err
		}
		restore = append(restore, time.Since(t0))
		t0 = time.Now()
		again, err := c.Restore(ctx, loaded)
		if err != nil {
			return err
		}
		noop = append(noop, time.Since(t0))
		fmt.Printf("  with nothing to do: %+v\n", again)
		fmt.Printf("run %d: take+save %s, restore %s (%+v), restore with nothing to do %s\n", i+1,
			take[i].Round(time.Millisecond), restore[i].Round(time.Millisecond), res, noop[i].Round(time.Millisecond))
	}
	fmt.Printf("median: take+save %s, restore %s, restore with nothing to do %s\n", median(take), median(restore), median(noop))
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

const ns = "rewind-bench"

// setup makes the objects a step starts with.
func setup(ctx context.Context, cs kubernetes.Interface) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !isExists(err) {
		return err
	}
	for _, name := range []string{"settings", "keep"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"mode": "blue"}}
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !isExists(err) {
			return err
		}
	}
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, deployment("web", 2), metav1.CreateOptions{})
	if err != nil && !isExists(err) {
		return err
	}
	return nil
}

// change is what a learner does after the step started.
func change(ctx context.Context, cs kubernetes.Interface) error {
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("extra", 1), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "keep", metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	sc, err := cs.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	sc.Spec.Replicas = 4
	if _, err := cs.AppsV1().Deployments(ns).UpdateScale(ctx, "web", sc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	cm.Data["mode"] = "green"
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	return nil
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.25.1"}}}}},
	}
}

func isExists(err error) bool { return apierrors.IsAlreadyExists(err) }
