package sessionkey

import (
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// RFC 4231 test case 2 and RFC 2202 test case 2: what Java's Mac computes.
func TestSignMatchesTheRFCVectors(t *testing.T) {
	for _, tc := range []struct{ alg, want string }{
		{"HmacSHA256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"hmacsha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"HmacSHA512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
		{"HmacSHA1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"HmacMD5", "750c783e6ab0b503eaa86e310a5db738"},
	} {
		got, err := Sign(tc.alg, []byte("Jefe"), []byte("what do ya want for nothing?"))
		if err != nil || hex.EncodeToString(got) != tc.want {
			t.Errorf("%s: %x, %v; want %s", tc.alg, got, err, tc.want)
		}
	}
	if _, err := Sign("HmacFoo", []byte("k"), nil); err == nil {
		t.Error("an unknown algorithm signed")
	}
}

func TestDecodeBase64LikeJava(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: ""},
		{in: "YWJj", want: "abc"},
		{in: "YWI=", want: "ab"},
		{in: "YWI", want: "ab"},
		{in: "YQ==", want: "a"},
		{in: "YQ", want: "a"},
		{in: "Y", err: "Input byte[] should at least have 2 bytes for base64 bytes"},
		{in: "YWJjZ", err: "Last unit does not have enough valid bits"},
		{in: "YQ=", err: "Input byte array has wrong 4-byte ending unit"},
		{in: "=abc", err: "Input byte array has wrong 4-byte ending unit"},
		{in: "YW-j", err: "Illegal base64 character 2d"},
		{in: "YW\xffj", err: "Illegal base64 character -1"},
		{in: "YQ==YQ", err: "Input byte array has incorrect ending byte at 4"},
	} {
		got, err := decodeBase64(tc.in)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%q: %q, %v; want error %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || string(got) != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestVerifierAnswersAsConnect(t *testing.T) {
	key := &entities.SessionKey{Material: []byte("0123456789abcdef0123456789abcdef"), Algorithm: "HmacSHA256", Created: time.Now()}
	other := &entities.SessionKey{Material: []byte("fedcba9876543210fedcba9876543210"), Algorithm: "HmacSHA256"}
	body := []byte(`[{"k":"v"}]`)
	signed := func(k *entities.SessionKey, alg string) http.Header {
		req, _ := http.NewRequest("POST", "http://x/connectors/c/tasks", nil)
		if err := AddToRequest(req, k, alg, body); err != nil {
			t.Fatal(err)
		}
		return req.Header
	}
	v := Verifier{Algorithms: []string{"HmacSHA256"}}
	for _, tc := range []struct {
		name    string
		headers http.Header
		key     *entities.SessionKey
		status  int
		msg     string
	}{
		{"signed", signed(key, "HmacSHA256"), key, 0, ""},
		{"unsigned", http.Header{}, key, 400, "Internal request missing required signature"},
		{"only the algorithm", http.Header{SignatureAlgorithmHeader: {"HmacSHA256"}}, key, 400, "Internal request missing required signature"},
		{"other key", signed(other, "HmacSHA256"), key, 403, "Internal request contained invalid signature."},
		{"no key read yet", signed(key, "HmacSHA256"), nil, 503, "This worker is still starting up and has not been able to read a session key from the config topic yet"},
		{"algorithm not verified here", signed(key, "HmacSHA512"), key, 400, "This worker does not support the 'HmacSHA512' key signing algorithm used by other workers. This worker is currently configured to use: [HmacSHA256]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it."},
		{"unknown algorithm", http.Header{SignatureAlgorithmHeader: {"HmacFoo"}, SignatureHeader: {"YWJj"}}, key, 400, "Algorithm HmacFoo not available"},
		{"not base64", http.Header{SignatureAlgorithmHeader: {"HmacSHA256"}, SignatureHeader: {"a-b"}}, key, 400, "Illegal base64 character 2d"},
	} {
		sig, err := FromHeaders(tc.headers, body)
		if err == nil {
			err = v.Check(sig, tc.key)
		}
		if got := statusOf(err); got != tc.status || (err != nil && err.Error() != tc.msg) {
			t.Errorf("%s: %d %v; want %d %q", tc.name, got, err, tc.status, tc.msg)
		}
	}
}

func statusOf(err error) int {
	var bad *entities.BadRequestError
	var st *entities.StatusError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &bad):
		return 400
	case errors.As(err, &st):
		return st.Status
	}
	return 500
}

func TestGeneratorSizes(t *testing.T) {
	bits := func(n int) *int { return &n }
	for _, tc := range []struct {
		alg  string
		bits *int
		len  int
		err  bool
	}{
		{"HmacSHA256", nil, 32, false},
		{"HmacSHA512", nil, 64, false},
		{"HmacSHA1", nil, 64, false},
		{"HmacSHA256", bits(4096), 512, false},
		{"HmacSHA256", bits(41), 6, false},
		{"HmacSHA256", bits(32), 0, true},
		{"HmacSHA1", bits(8), 1, false},
		{"AES", nil, 0, true},
	} {
		g, err := NewGenerator(tc.alg, tc.bits)
		if (err != nil) != tc.err {
			t.Errorf("%s/%v: error %v, want error %v", tc.alg, tc.bits, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		k, err := g.Generate(time.UnixMilli(1))
		if err != nil || len(k.Material) != tc.len || k.Algorithm != tc.alg || !g.Matches(k) {
			t.Errorf("%s/%v: %d bytes %s, %v; want %d", tc.alg, tc.bits, len(k.Material), k.Algorithm, err, tc.len)
		}
		if g.Matches(&entities.SessionKey{Material: k.Material[1:], Algorithm: tc.alg}) {
			t.Errorf("%s: a shorter key matches", tc.alg)
		}
	}
}
