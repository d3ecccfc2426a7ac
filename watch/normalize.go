package watch

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func controllerOf(u *unstructured.Unstructured) *metav1.OwnerReference {
	refs := u.GetOwnerReferences()
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	if len(refs) > 0 {
		return &refs[0]
	}
	return nil
}

// Normalize turns an API object into the stream's small form (docs/stream.md).
func Normalize(kind string, u *unstructured.Unstructured) Obj {
	o := Obj{"kind": kind, "name": u.GetName(), "uid": string(u.GetUID()), "rv": u.GetResourceVersion()}
	if ns := u.GetNamespace(); ns != "" {
		o["namespace"] = ns
	}
	if l := u.GetLabels(); len(l) > 0 {
		o["labels"] = stringMap(l)
	}
	if ref := controllerOf(u); ref != nil {
		o["owner"] = map[string]any{"kind": ref.Kind, "name": ref.Name, "uid": string(ref.UID)}
	}
	o["created"] = u.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z")
	if u.GetDeletionTimestamp() != nil {
		o["deleting"] = true
	}
	c := u.Object
	defer clipText(o)
	switch kind {
	case "Node":
		lb := u.GetLabels()
		o["zone"], o["region"], o["instanceType"] = lb["topology.kubernetes.io/zone"], lb["topology.kubernetes.io/region"], lb["node.kubernetes.io/instance-type"]
		o["ready"] = conditionTrue(c, "Ready")
		o["unschedulable"] = boolAt(c, "spec", "unschedulable")
		o["podCIDR"] = strAt(c, "spec", "podCIDR")
		var taints []any
		for _, t := range sliceAt(c, "spec", "taints") {
			tm, _ := t.(map[string]any)
			taints = append(taints, map[string]any{"key": tm["key"], "value": tm["value"], "effect": tm["effect"]})
		}
		o["taints"] = taints
		o["allocatable"] = map[string]any{
			"cpu": milli(strAt(c, "status", "allocatable", "cpu")), "memory": bytesOf(strAt(c, "status", "allocatable", "memory")),
			"pods": bytesOf(strAt(c, "status", "allocatable", "pods"))}
		for _, a := range sliceAt(c, "status", "addresses") {
			am, _ := a.(map[string]any)
			if am["type"] == "InternalIP" {
				o["ip"] = am["address"]
			}
		}
	case "Pod":
		normalizePod(o, u)
	case "Deployment":
		o["replicas"] = intAt(c, 1, "spec", "replicas")
		o["readyReplicas"] = intAt(c, 0, "status", "readyReplicas")
		o["updatedReplicas"] = intAt(c, 0, "status", "updatedReplicas")
		o["availableReplicas"] = intAt(c, 0, "status", "availableReplicas")
		o["revision"] = u.GetAnnotations()["deployment.kubernetes.io/revision"]
		o["selector"] = mapAt(c, "spec", "selector", "matchLabels")
		o["images"] = images(c, "spec", "template", "spec")
		o["maxSurge"] = fmt.Sprint(valueOr(c, "25%", "spec", "strategy", "rollingUpdate", "maxSurge"))
		o["maxUnavailable"] = fmt.Sprint(valueOr(c, "25%", "spec", "strategy", "rollingUpdate", "maxUnavailable"))
	case "ReplicaSet":
		o["replicas"] = intAt(c, 1, "spec", "replicas")
		o["readyReplicas"] = intAt(c, 0, "status", "readyReplicas")
		o["revision"] = u.GetAnnotations()["deployment.kubernetes.io/revision"]
		o["selector"] = mapAt(c, "spec", "selector", "matchLabels")
		o["images"] = images(c, "spec", "template", "spec")
		o["hash"] = u.GetLabels()["pod-template-hash"]
	case "StatefulSet":
		o["replicas"] = intAt(c, 1, "spec", "replicas")
		o["readyReplicas"] = intAt(c, 0, "status", "readyReplicas")
		o["selector"] = mapAt(c, "spec", "selector", "matchLabels")
		o["images"] = images(c, "spec", "template", "spec")
	case "DaemonSet":
		o["replicas"] = intAt(c, 0, "status", "desiredNumberScheduled")
		o["readyReplicas"] = intAt(c, 0, "status", "numberReady")
		o["selector"] = mapAt(c, "spec", "selector", "matchLabels")
		o["images"] = images(c, "spec", "template", "spec")
	case "Job":
		o["active"] = intAt(c, 0, "status", "active")
		o["succeeded"] = intAt(c, 0, "status", "succeeded")
		o["failed"] = intAt(c, 0, "status", "failed")
		o["completions"] = intAt(c, 1, "spec", "completions")
		o["complete"] = conditionTrue(c, "Complete")
	case "CronJob":
		o["schedule"] = strAt(c, "spec", "schedule")
		o["lastSchedule"] = strAt(c, "status", "lastScheduleTime")
	case "Service":
		o["type"] = strAt(c, "spec", "type")
		o["clusterIP"] = strAt(c, "spec", "clusterIP")
		o["selector"] = mapAt(c, "spec", "selector")
		var ports []any
		for _, p := range sliceAt(c, "spec", "ports") {
			pm, _ := p.(map[string]any)
			ports = append(ports, map[string]any{"port": pm["port"], "targetPort": pm["targetPort"], "protocol": pm["protocol"]})
		}
		o["ports"] = ports
	case "EndpointSlice":
		o["service"] = u.GetLabels()["kubernetes.io/service-name"]
		var eps []any
		for _, e := range sliceAt(c, "endpoints") {
			em, _ := e.(map[string]any)
			addrs, _ := em["addresses"].([]any)
			ip := ""
			if len(addrs) > 0 {
				ip, _ = addrs[0].(string)
			}
			ready := true
			if cm, ok := em["conditions"].(map[string]any); ok {
				if r, ok := cm["ready"].(bool); ok {
					ready = r
				}
			}
			pod := ""
			if tr, ok := em["targetRef"].(map[string]any); ok {
				pod, _ = tr["name"].(string)
			}
			node, _ := em["nodeName"].(string)
			eps = append(eps, map[string]any{"ip": ip, "ready": ready, "pod": pod, "node": node})
		}
		o["endpoints"] = eps
	case "Event":
		o["reason"] = strAt(c, "reason")
		o["message"] = strAt(c, "message")
		o["eventType"] = strAt(c, "type")
		inv := mapAt(c, "involvedObject")
		o["involved"] = map[string]any{"kind": inv["kind"], "namespace": inv["namespace"], "name": inv["name"], "uid": inv["uid"]}
		src := strAt(c, "source", "component")
		if src == "" {
			src = strAt(c, "reportingComponent")
		}
		o["source"] = src
		o["count"] = intAt(c, 1, "count")
		last := strAt(c, "lastTimestamp")
		if last == "" {
			last = strAt(c, "eventTime")
		}
		if last == "" {
			last = o["created"].(string)
		}
		o["last"] = last
		delete(o, "labels")
	case "PersistentVolumeClaim":
		o["phase"] = strAt(c, "status", "phase")
		o["volume"] = strAt(c, "spec", "volumeName")
		o["node"] = u.GetAnnotations()["volume.kubernetes.io/selected-node"]
	case "PersistentVolume":
		o["phase"] = strAt(c, "status", "phase")
		o["claim"] = strAt(c, "spec", "claimRef", "namespace") + "/" + strAt(c, "spec", "claimRef", "name")
		for _, t := range sliceAt(c, "spec", "nodeAffinity", "required", "nodeSelectorTerms") {
			tm, _ := t.(map[string]any)
			exprs, _ := tm["matchExpressions"].([]any)
			for _, e := range exprs {
				em, _ := e.(map[string]any)
				if em["key"] == "topology.kubernetes.io/zone" {
					if vals, _ := em["values"].([]any); len(vals) > 0 {
						o["zone"] = vals[0]
					}
				}
			}
		}
	case "Namespace":
		o["phase"] = strAt(c, "status", "phase")
	case "SchedulingDecision":
		o["decision"] = c["decision"]
	}
	return o
}

func normalizePod(o Obj, u *unstructured.Unstructured) {
	c := u.Object
	o["phase"] = strAt(c, "status", "phase")
	o["node"] = strAt(c, "spec", "nodeName")
	o["ip"] = strAt(c, "status", "podIP")
	o["hash"] = u.GetLabels()["pod-template-hash"]
	o["ready"] = conditionTrue(c, "Ready")
	var cpu, mem int64
	var imgs []any
	for _, ct := range sliceAt(c, "spec", "containers") {
		cm, _ := ct.(map[string]any)
		imgs = append(imgs, cm["image"])
		cpu += milli(strAt(cm, "resources", "requests", "cpu"))
		mem += bytesOf(strAt(cm, "resources", "requests", "memory"))
	}
	o["images"] = imgs
	o["requests"] = map[string]any{"cpu": cpu, "memory": mem}
	statuses := sliceAt(c, "status", "containerStatuses")
	readyN, restarts := 0, int64(0)
	for _, s := range statuses {
		sm, _ := s.(map[string]any)
		if r, _ := sm["ready"].(bool); r {
			readyN++
		}
		if n, ok := sm["restartCount"].(int64); ok {
			restarts += n
		}
	}
	o["readyCount"] = readyN
	o["containerCount"] = len(sliceAt(c, "spec", "containers"))
	o["restarts"] = restarts
	o["status"] = podStatus(u)
	if strAt(c, "spec", "nodeName") == "" {
		for _, cd := range sliceAt(c, "status", "conditions") {
			cm, _ := cd.(map[string]any)
			if cm["type"] == "PodScheduled" && cm["status"] == "False" {
				o["reason"] = cm["message"]
			}
		}
	}
}

// podStatus is what `kubectl get pods` prints in its STATUS column.
func podStatus(u *unstructured.Unstructured) string {
	c := u.Object
	reason := strAt(c, "status", "phase")
	if r := strAt(c, "status", "reason"); r != "" {
		reason = r
	}
	inits := sliceAt(c, "status", "initContainerStatuses")
	initializing := false
	for i, s := range inits {
		sm, _ := s.(map[string]any)
		if t, ok := sm["state"].(map[string]any)["terminated"].(map[string]any); ok {
			if code, _ := t["exitCode"].(int64); code == 0 {
				continue
			}
			reason, initializing = "Init:"+fmt.Sprint(t["reason"]), true
			break
		}
		if w, ok := sm["state"].(map[string]any)["waiting"].(map[string]any); ok {
			if r, _ := w["reason"].(string); r != "" && r != "PodInitializing" {
				reason, initializing = "Init:"+r, true
				break
			}
		}
		reason, initializing = "Init:"+strconv.Itoa(i)+"/"+strconv.Itoa(len(inits)), true
		break
	}
	if !initializing {
		hasRunning := false
		for _, s := range sliceAt(c, "status", "containerStatuses") {
			sm, _ := s.(map[string]any)
			st, _ := sm["state"].(map[string]any)
			if w, ok := st["waiting"].(map[string]any); ok {
				if r, _ := w["reason"].(string); r != "" {
					reason = r
				}
			} else if t, ok := st["terminated"].(map[string]any); ok {
				if r, _ := t["reason"].(string); r != "" {
					reason = r
				}
			} else if _, ok := st["running"]; ok {
				hasRunning = true
			}
		}
		if reason == "Completed" && hasRunning {
			reason = "Running"
		}
	}
	if u.GetDeletionTimestamp() != nil {
		reason = "Terminating"
	}
	return reason
}

func conditionTrue(c map[string]any, typ string) bool {
	for _, cd := range sliceAt(c, "status", "conditions") {
		cm, _ := cd.(map[string]any)
		if cm["type"] == typ {
			return cm["status"] == "True"
		}
	}
	return false
}

func images(c map[string]any, path ...string) []any {
	var out []any
	for _, ct := range sliceAt(c, append(path, "containers")...) {
		cm, _ := ct.(map[string]any)
		out = append(out, cm["image"])
	}
	return out
}

func valueAt(c map[string]any, path ...string) (any, bool) {
	var cur any = c
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func valueOr(c map[string]any, def any, path ...string) any {
	if v, ok := valueAt(c, path...); ok {
		return v
	}
	return def
}

func strAt(c map[string]any, path ...string) string {
	v, _ := valueAt(c, path...)
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	default:
		return fmt.Sprint(s)
	}
}

func boolAt(c map[string]any, path ...string) bool {
	v, _ := valueAt(c, path...)
	b, _ := v.(bool)
	return b
}

func intAt(c map[string]any, def int64, path ...string) int64 {
	v, ok := valueAt(c, path...)
	if !ok {
		return def
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return def
}

func sliceAt(c map[string]any, path ...string) []any {
	v, _ := valueAt(c, path...)
	s, _ := v.([]any)
	return s
}

func mapAt(c map[string]any, path ...string) map[string]any {
	v, _ := valueAt(c, path...)
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

func milli(q string) int64 {
	if strings.TrimSpace(q) == "" {
		return 0
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.MilliValue()
}

func bytesOf(q string) int64 {
	if strings.TrimSpace(q) == "" {
		return 0
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.Value()
}
