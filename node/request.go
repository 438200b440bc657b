package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// readJSON decodes a bounded JSON body strictly: unknown fields and
// trailing data are errors. A body sent without Content-Type:
// application/json (curl -d sends application/x-www-form-urlencoded) is
// still read as JSON when it is JSON; otherwise it gets 415 naming the
// header. Errors say which field is wrong and what it wants, in the API's
// words, never in Go's.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", limit)}
		}
		return badRequest("reading the body: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); !isJSONType(ct) && !json.Valid(body) {
		return &httpError{http.StatusUnsupportedMediaType,
			fmt.Errorf("the body is not JSON and its Content-Type is %q: send JSON with the header Content-Type: application/json", ct)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("bad JSON body: %s", jsonErrorText(err, body, v))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("bad JSON body: data after the object")
	}
	return nil
}

// isJSONType reports whether a Content-Type header names JSON (or is
// absent).
func isJSONType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// jsonErrorText says what encoding/json found wrong without its Go
// vocabulary ("Go struct field SendTxRequest.raw of type hexutil.Bytes").
func jsonErrorText(err error, body []byte, v any) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the body"
		}
		msg := fmt.Sprintf("%s: want %s", field, jsonTypeName(te.Type))
		switch v := te.Value; {
		case v == "":
		case v == "non-string":
			msg += " in a JSON string"
		case v == "number" || strings.HasPrefix(v, "number ") || v == "string" || v == "object" || v == "array" || v == "bool":
			msg += ", not a " + strings.Fields(v)[0]
		default:
			msg += " (" + v + ")" // a decoder's own reason, e.g. "hex string without 0x prefix"
		}
		return msg
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.EOF):
		return "empty body: want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends early"
	}
	// A type's own decoder failed (an address of the wrong length): its
	// message names no field and may name the Go type.
	s := strings.TrimPrefix(err.Error(), "json: ")
	for _, t := range []string{" for common.Address", " for common.Hash", " for hexutil.Bytes"} {
		s = strings.ReplaceAll(s, t, "")
	}
	if i := strings.Index(s, "Go struct field "); i >= 0 {
		s = s[:i] + "field " + s[i+len("Go struct field "):]
	}
	if f := failingField(body, v); f != "" {
		s = f + ": " + s
	}
	return s
}

// failingField finds the member of a JSON object body that does not
// decode into a fresh value of v's type, by decoding each alone: the
// body is bounded, so this costs at most one more decode of it.
func failingField(body []byte, v any) string {
	var members map[string]json.RawMessage
	t := reflect.TypeOf(v)
	if json.Unmarshal(body, &members) != nil || t.Kind() != reflect.Pointer {
		return ""
	}
	for k, raw := range members {
		one, _ := json.Marshal(map[string]json.RawMessage{k: raw})
		if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) != nil {
			return k
		}
	}
	return ""
}

// jsonTypeName names the JSON a Go type reads.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.String() {
	case "hexutil.Bytes", "[]uint8":
		return "0x-hex bytes"
	case "common.Address":
		return "a 0x address (40 hex digits)"
	case "common.Hash":
		return "a 0x hash (64 hex digits)"
	case "chain.Amount":
		return "a decimal amount"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another value"
}
