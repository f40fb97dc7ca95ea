// Package testpki makes, for unit tests, a small PKI in a temporary
// directory: a CA, a second CA nobody trusts, a server certificate for
// localhost (usable as a client certificate too, as a worker presents its
// own to other workers) and a client certificate, with their Java-style
// stores in JKS, PKCS12 and PEM.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
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

// Passwords of the stores and keys.
const (
	StorePassword = "storepass"
	KeyPassword   = "keypass"
)

// PKI is the material, its files in Dir:
//
//	ca.pem, other.pem                 the CA and the untrusted CA
//	trust.jks, trust.p12              trust stores holding the CA
//	client.jks (key password KeyPassword), client.p12, client.pem (plain key and chain), client-enc.pem (encrypted key)
//	server.jks (key password KeyPassword), server.p12, server.pem
//	other-client.p12                  a client certificate of the untrusted CA
type PKI struct {
	Dir                string
	CA, OtherCA        *x509.Certificate
	Server             tls.Certificate
	ClientKey          *ecdsa.PrivateKey
	ClientCert         *x509.Certificate
	ClientTLS          tls.Certificate
	UntrustedClientTLS tls.Certificate
}

// File is the path of one of the PKI's files.
func (p *PKI) File(name string) string { return filepath.Join(p.Dir, name) }

// Pool is a pool holding the CA.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	return pool
}

func newCert(t testing.TB, tmpl, parent *x509.Certificate, parentKey any) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// New makes the PKI in a temporary directory of t.
func New(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{Dir: t.TempDir()}
	now := time.Now()
	ca, caKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	other, otherKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "other CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	srv, srvKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "localhost"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, ca, caKey)
	cl, clKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "client"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, caKey)
	ucl, uclKey := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "untrusted client"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, other, otherKey)
	p.CA, p.OtherCA, p.ClientKey, p.ClientCert = ca, other, clKey, cl
	p.Server = tls.Certificate{Certificate: [][]byte{srv.Raw, ca.Raw}, PrivateKey: srvKey, Leaf: srv}
	p.ClientTLS = tls.Certificate{Certificate: [][]byte{cl.Raw, ca.Raw}, PrivateKey: clKey, Leaf: cl}
	p.UntrustedClientTLS = tls.Certificate{Certificate: [][]byte{ucl.Raw, other.Raw}, PrivateKey: uclKey, Leaf: ucl}

	write := func(name string, b []byte) {
		if err := os.WriteFile(p.File(name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pemOf := func(c *x509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	keyPEM := func(k *ecdsa.PrivateKey) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	write("ca.pem", pemOf(ca))
	write("other.pem", pemOf(other))
	write("client.pem", append(keyPEM(clKey), append(pemOf(cl), pemOf(ca)...)...))
	write("server.pem", append(keyPEM(srvKey), append(pemOf(srv), pemOf(ca)...)...))
	enc, err := pkcs8.MarshalPrivateKey(clKey, []byte(KeyPassword), nil)
	if err != nil {
		t.Fatal(err)
	}
	write("client-enc.pem", append(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), pemOf(cl)...))

	ts, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{ca}, StorePassword)
	if err != nil {
		t.Fatal(err)
	}
	write("trust.p12", ts)
	for _, k := range []struct {
		name string
		key  *ecdsa.PrivateKey
		leaf *x509.Certificate
		ca   *x509.Certificate
	}{{"client", clKey, cl, ca}, {"server", srvKey, srv, ca}, {"other-client", uclKey, ucl, other}} {
		ks, err := pkcs12.Modern.Encode(k.key, k.leaf, []*x509.Certificate{k.ca}, StorePassword)
		if err != nil {
			t.Fatal(err)
		}
		write(k.name+".p12", ks)
		der, err := x509.MarshalPKCS8PrivateKey(k.key)
		if err != nil {
			t.Fatal(err)
		}
		jks := keystore.New()
		if err := jks.SetPrivateKeyEntry(k.name, keystore.PrivateKeyEntry{CreationTime: now, PrivateKey: der,
			CertificateChain: []keystore.Certificate{{Type: "X509", Content: k.leaf.Raw}, {Type: "X509", Content: k.ca.Raw}}}, []byte(KeyPassword)); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := jks.Store(&b, []byte(StorePassword)); err != nil {
			t.Fatal(err)
		}
		write(k.name+".jks", []byte(b.String()))
	}
	jks := keystore.New()
	if err := jks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: now,
		Certificate: keystore.Certificate{Type: "X509", Content: ca.Raw}}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := jks.Store(&b, []byte(StorePassword)); err != nil {
		t.Fatal(err)
	}
	write("trust.jks", []byte(b.String()))
	return p
}
