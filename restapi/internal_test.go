package restapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/sessionkey"
)

// internalHerder records what the internal endpoints hand the herder and
// verifies signatures under one key.
type internalHerder struct {
	fakeHerder
	key    *entities.SessionKey
	got    []map[string]string
	fenced string
}

func (h *internalHerder) PutTaskConfigs(_ context.Context, name string, configs []map[string]string, sig *sessionkey.Signature) error {
	if err := (sessionkey.Verifier{Algorithms: []string{"HmacSHA256"}}).Check(sig, h.key); err != nil {
		return err
	}
	h.got = configs
	return nil
}

func (h *internalHerder) FenceZombies(_ context.Context, name string, sig *sessionkey.Signature) error {
	if err := (sessionkey.Verifier{Algorithms: []string{"HmacSHA256"}}).Check(sig, h.key); err != nil {
		return err
	}
	h.fenced = name
	return nil
}

// TestInternalEndpoints: the body the signature covers is the body as
// received, any Content-Type is taken (Connect's internal resource declares
// none), and Connect's answers come back for unsigned, badly signed and
// malformed requests.
func TestInternalEndpoints(t *testing.T) {
	key := &entities.SessionKey{Material: []byte("0123456789abcdef0123456789abcdef"), Algorithm: "HmacSHA256"}
	h := &internalHerder{key: key}
	ts := serve(t, h)
	send := func(method, path, ctype, body string, signWith *entities.SessionKey, alg string) (int, string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if signWith != nil {
			if err := sessionkey.AddToRequest(req, signWith, "HmacSHA256", []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		if alg != "" {
			req.Header.Set(sessionkey.SignatureAlgorithmHeader, alg)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	other := &entities.SessionKey{Material: []byte("another key of thirty-two bytes!"), Algorithm: "HmacSHA256"}
	for _, tc := range []struct {
		name, method, path, ctype, body string
		key                             *entities.SessionKey
		alg                             string
		code                            int
		want                            string
	}{
		{"signed", "POST", "/connectors/c1/tasks", "application/json", `[{"a":"1"},{"a":"2"}]`, key, "", 204, ""},
		{"any content type", "POST", "/connectors/c1/tasks", "text/plain", `[{"a":"1"}]`, key, "", 204, ""},
		{"unsigned", "POST", "/connectors/c1/tasks", "application/json", `[]`, nil, "", 400, `{"error_code":400,"message":"Internal request missing required signature"}`},
		{"another key", "POST", "/connectors/c1/tasks", "application/json", `[]`, other, "", 403, `{"error_code":403,"message":"Internal request contained invalid signature."}`},
		{"unknown algorithm", "POST", "/connectors/c1/tasks", "application/json", `[]`, key, "HmacFoo", 400, `{"error_code":400,"message":"Algorithm HmacFoo not available"}`},
		{"not a list", "POST", "/connectors/c1/tasks", "application/json", `{}`, key, "", 500, "Cannot deserialize value of type `java.util.ArrayList"},
		{"fence signed", "PUT", "/connectors/c1/fence", "", "", key, "", 204, ""},
		{"fence unsigned", "PUT", "/connectors/c1/fence", "", "", nil, "", 400, `{"error_code":400,"message":"Internal request missing required signature"}`},
	} {
		code, body := send(tc.method, tc.path, tc.ctype, tc.body, tc.key, tc.alg)
		if code != tc.code || !strings.HasPrefix(strings.TrimPrefix(body, `{"error_code":500,"message":"`), tc.want) {
			t.Errorf("%s: %d %s; want %d %s", tc.name, code, body, tc.code, tc.want)
		}
	}
	if len(h.got) != 1 || h.got[0]["a"] != "1" || h.fenced != "c1" {
		t.Fatalf("herder got %v, fenced %q", h.got, h.fenced)
	}
}
