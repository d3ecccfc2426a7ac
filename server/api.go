package server

import (
	"encoding/json"
	"errors"
	"net/http"
)

// apiError is the JSON error every API route returns.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: "request too large", Code: "too_large"})
		} else {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "malformed JSON: " + err.Error(), Code: "bad_json"})
		}
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
