package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/text"
)

// A verdict on the stream carries every text in both languages (the plain
// field in Korean), and its heat map cell joins the failing checks'.
func TestVerdictMessageCarriesBothLanguages(t *testing.T) {
	res := labs.StepResult{ID: "create-namespace", Passed: false, Score: 0.5, Checks: []labs.CheckResult{
		{ID: "ns", Passed: false, Message: text.Text{Ko: "없음", En: "missing"}},
		{ID: "label", Passed: true, Message: text.Text{Ko: "좋음", En: "fine"}}}}
	t.Run("failing", func(t *testing.T) {
		b, _ := json.Marshal(verdictMessage("lab1", res, time.Time{}).withHint(text.Text{Ko: "힌트", En: "hint"}))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		check := m["checks"].([]any)[0].(map[string]any)
		if m["type"] != "verdict" || m["passed"] != false || m["score"] != 0.5 || check["message"] != "없음" || check["messageKo"] != "없음" ||
			check["messageEn"] != "missing" || m["hint"] != "힌트" || m["hintEn"] != "hint" || m["changed"] != nil || m["note"] != nil {
			t.Fatalf("verdict: %s", b)
		}
		cell := verdictMessage("lab1", res, time.Time{}).forDashboard(7).(cellMsg)
		if cell.State != "failed" || cell.User != 7 || cell.MessageKo != "없음" || cell.MessageEn != "missing" || cell.At == 0 {
			t.Fatalf("cell: %+v", cell)
		}
	})
	t.Run("held", func(t *testing.T) {
		b, _ := json.Marshal(verdictMessage("lab1", res, time.Now()))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["passed"] != true || m["score"] != 1.0 || m["changed"] != true || m["passedAt"] == nil ||
			m["noteEn"] != "passed earlier; the cluster has changed since" || m["note"] != m["noteKo"] || m["hint"] != nil {
			t.Fatalf("held verdict: %s", b)
		}
		if cell := verdictMessage("lab1", res, time.Now()).forDashboard(7).(cellMsg); cell.State != "passed" || cell.MessageEn != "" {
			t.Fatalf("held cell: %+v", cell)
		}
	})
}
