package keystores

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

var names = Names{TrustLocation: "trust.path", TrustPassword: "trust.password", KeyLocation: "key.path", KeyPassword: "key.password", KeyKeyPassword: "key.password"}

// TestStoresByContent: a store of type ByContent is read as the JKS,
// PKCS12 or PEM file it is, a PEM key store's password decrypting its key.
func TestStoresByContent(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "by content"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const pass = "pw"
	var jks, jksKey bytes.Buffer
	ks := keystore.New()
	_ = ks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: time.Now(), Certificate: keystore.Certificate{Type: "X509", Content: der}})
	if err := ks.Store(&jks, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	ks = keystore.New()
	_ = ks.SetPrivateKeyEntry("k", keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: keyDER, CertificateChain: []keystore.Certificate{{Type: "X509", Content: der}}}, []byte(pass))
	if err := ks.Store(&jksKey, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	p12Trust, _ := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{cert}, pass)
	p12Key, _ := pkcs12.Modern.Encode(key, cert, nil, pass)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	enc, _ := pkcs8.MarshalPrivateKey(key, []byte(pass), nil)
	keyPEM := append(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), certPEM...)

	for name, data := range map[string][]byte{"trust.jks": jks.Bytes(), "trust.p12": p12Trust, "trust.pem": append([]byte("\n"), certPEM...)} {
		certs, err := TrustStore(names, ByContent, write(name, data), pass, "")
		if err != nil || len(certs) != 1 || !certs[0].Equal(cert) {
			t.Errorf("%s: %v, %v", name, certs, err)
		}
	}
	for name, data := range map[string][]byte{"key.jks": jksKey.Bytes(), "key.p12": p12Key, "key.pem": keyPEM} {
		chain, k, err := KeyStore(names, ByContent, write(name, data), pass, "", "", "")
		if err != nil || len(chain) != 1 || !chain[0].Equal(cert) || k == nil {
			t.Errorf("%s: %v, %v", name, chain, err)
		}
	}
	// A named type keeps Kafka's rule: no store password with PEM.
	if _, err := TrustStore(names, "PEM", filepath.Join(dir, "trust.pem"), pass, ""); err == nil || !strings.Contains(err.Error(), "cannot be specified for PEM format (trust.password)") {
		t.Errorf("PEM with a password: %v", err)
	}
	if _, err := TrustStore(names, ByContent, filepath.Join(dir, "trust.jks"), "wrong", ""); err == nil || !strings.Contains(err.Error(), "wrong trust.password?") {
		t.Errorf("wrong password: %v", err)
	}
}
