// Package sessionkey signs and verifies Connect's internal REST requests
// (KIP-507) as Apache Connect does: the leader generates a session key with
// a Java KeyGenerator algorithm (inter.worker.key.generation.algorithm,
// inter.worker.key.size), every request a worker sends to another's internal
// endpoints carries the base64 HMAC of its body under the session key in
// X-Connect-Authorization and the Java name of the MAC algorithm in
// X-Connect-Request-Signature-Algorithm.
package sessionkey

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
)

// Connect's header names (InternalRequestSignature).
const (
	SignatureHeader          = "X-Connect-Authorization"
	SignatureAlgorithmHeader = "X-Connect-Request-Signature-Algorithm"
)

// macs are the MAC algorithms of a Java 17 runtime (SunJCE) that Go has,
// by their Java names, and the default key size of each one's KeyGenerator
// in bytes.
var macs = []struct {
	name       string
	hash       func() hash.Hash
	defaultLen int
}{
	{"HmacMD5", md5.New, 64},
	{"HmacSHA1", sha1.New, 64},
	{"HmacSHA224", sha256.New224, 28},
	{"HmacSHA256", sha256.New, 32},
	{"HmacSHA384", sha512.New384, 48},
	{"HmacSHA512", sha512.New, 64},
	{"HmacSHA512/224", sha512.New512_224, 28},
	{"HmacSHA512/256", sha512.New512_256, 32},
	{"HmacSHA3-224", func() hash.Hash { return sha3.New224() }, 28},
	{"HmacSHA3-256", func() hash.Hash { return sha3.New256() }, 32},
	{"HmacSHA3-384", func() hash.Hash { return sha3.New384() }, 48},
	{"HmacSHA3-512", func() hash.Hash { return sha3.New512() }, 64},
}

// lookup finds a MAC by name; Java's provider lookup ignores case.
func lookup(name string) (func() hash.Hash, int, bool) {
	for _, m := range macs {
		if strings.EqualFold(m.name, name) {
			return m.hash, m.defaultLen, true
		}
	}
	return nil, 0, false
}

// Algorithms lists the supported algorithm names, for messages.
func Algorithms() []string {
	out := make([]string, len(macs))
	for i, m := range macs {
		out[i] = m.name
	}
	return out
}

// Supported reports whether name is a MAC (and key generator) algorithm this
// worker has.
func Supported(name string) bool {
	_, _, ok := lookup(name)
	return ok
}

// Sign is the HMAC of body under key with the named algorithm.
func Sign(algorithm string, key, body []byte) ([]byte, error) {
	h, _, ok := lookup(algorithm)
	if !ok {
		return nil, fmt.Errorf("signing with %s: Algorithm %s not available", algorithm, algorithm)
	}
	mac := hmac.New(h, key)
	mac.Write(body)
	return mac.Sum(nil), nil
}

// AddToRequest signs body and sets Connect's two headers on req.
func AddToRequest(req *http.Request, key *entities.SessionKey, algorithm string, body []byte) error {
	sig, err := Sign(algorithm, key.Material, body)
	if err != nil {
		return err
	}
	req.Header.Set(SignatureHeader, encodeBase64(sig))
	req.Header.Set(SignatureAlgorithmHeader, algorithm)
	return nil
}

// Signature is an internal request's signature as read from its headers.
type Signature struct {
	// Algorithm is the header's algorithm name as sent.
	Algorithm string
	mac       []byte
	body      []byte
}

// FromHeaders reads a request's signature: nil when either header is
// missing (the request is unsigned); an unknown algorithm or a signature
// that is not base64 is a 400 with Java's message, as Connect answers.
func FromHeaders(h http.Header, body []byte) (*Signature, error) {
	alg, enc := h.Get(SignatureAlgorithmHeader), h.Get(SignatureHeader)
	if _, ok := h[http.CanonicalHeaderKey(SignatureAlgorithmHeader)]; !ok {
		return nil, nil
	}
	if _, ok := h[http.CanonicalHeaderKey(SignatureHeader)]; !ok {
		return nil, nil
	}
	if !Supported(alg) {
		return nil, &entities.BadRequestError{Msg: "Algorithm " + alg + " not available"}
	}
	mac, err := decodeBase64(enc)
	if err != nil {
		return nil, &entities.BadRequestError{Msg: err.Error()}
	}
	return &Signature{Algorithm: alg, mac: mac, body: body}, nil
}

// Valid reports whether the signature is the body's under key.
func (s *Signature) Valid(key *entities.SessionKey) bool {
	want, err := Sign(s.Algorithm, key.Material, s.body)
	return err == nil && hmac.Equal(want, s.mac)
}

// Verifier checks internal requests as Connect's leader does
// (DistributedHerder.requestNotSignedProperly).
type Verifier struct {
	// Algorithms is inter.worker.verification.algorithms.
	Algorithms []string
}

// Check returns nil for a request signed with the current key, or the error
// Connect answers: 400 for a missing signature or an algorithm not in the
// verification list, 503 before any key was read, 403 for a wrong signature.
func (v Verifier) Check(sig *Signature, key *entities.SessionKey) error {
	switch {
	case sig == nil:
		return &entities.BadRequestError{Msg: "Internal request missing required signature"}
	case !slices.Contains(v.Algorithms, sig.Algorithm):
		return &entities.BadRequestError{Msg: fmt.Sprintf("This worker does not support the '%s' key signing algorithm used by other workers. "+
			"This worker is currently configured to use: [%s]. "+
			"Check that all workers' configuration files permit the same set of signature algorithms, "+
			"and correct any misconfigured worker and restart it.", sig.Algorithm, strings.Join(v.Algorithms, ", "))}
	case key == nil:
		return &entities.StatusError{Status: http.StatusServiceUnavailable, Msg: "This worker is still starting up and has not been able to read a session key from the config topic yet"}
	case !sig.Valid(key):
		return &entities.StatusError{Status: http.StatusForbidden, Msg: "Internal request contained invalid signature."}
	}
	return nil
}

// Generator makes session keys as a Java KeyGenerator of the configured
// algorithm and size does.
type Generator struct {
	Algorithm string
	// Bits is inter.worker.key.size; zero keeps the algorithm's default.
	Bits int
}

// NewGenerator checks the settings as Connect does at start-up
// (DistributedConfig.getInternalRequestKeyGenerator).
func NewGenerator(algorithm string, bits *int) (Generator, error) {
	g := Generator{Algorithm: algorithm}
	if !Supported(algorithm) {
		return g, fmt.Errorf("the algorithm is not supported by this worker; the supported algorithms are: %s", strings.Join(Algorithms(), ", "))
	}
	if bits != nil {
		// SunJCE's HMAC key generators refuse keys under 40 bits (HmacMD5's
		// and HmacSHA1's take any size).
		if *bits < 40 && !strings.EqualFold(algorithm, "HmacMD5") && !strings.EqualFold(algorithm, "HmacSHA1") {
			return g, fmt.Errorf("Unable to create key generator with algorithm %s and key size %d: Key length must be at least 40 bits", algorithm, *bits)
		}
		if *bits <= 0 {
			return g, fmt.Errorf("Unable to create key generator with algorithm %s and key size %d: Key length must be positive", algorithm, *bits)
		}
		g.Bits = *bits
	}
	return g, nil
}

// length is the key length in bytes.
func (g Generator) length() int {
	if g.Bits > 0 {
		return (g.Bits + 7) / 8
	}
	_, n, _ := lookup(g.Algorithm)
	return n
}

// Generate makes a new random key created at now.
func (g Generator) Generate(now time.Time) (*entities.SessionKey, error) {
	b := make([]byte, g.length())
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating a %s session key: %w", g.Algorithm, err)
	}
	return &entities.SessionKey{Material: b, Algorithm: g.Algorithm, Created: now}, nil
}

// Matches reports whether key is what this generator makes (same algorithm
// and length): a leader replaces a key that is not.
func (g Generator) Matches(key *entities.SessionKey) bool {
	return key.Algorithm == g.Algorithm && len(key.Material) == g.length()
}
