package clientsecurity

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// loadTrustStore reads the CA certificates of ssl.truststore.*: a JKS or
// PKCS12 store, or PEM (a file or ssl.truststore.certificates). Nothing
// set means the system's roots (Java uses the JVM's).
func loadTrustStore(typ, location, password, inline string) ([]*x509.Certificate, error) {
	typ = strings.ToUpper(typ)
	if inline != "" {
		if typ != "PEM" {
			return nil, fmt.Errorf("Invalid value for configuration %s: it requires %s=PEM", SSLTruststoreCerts, SSLTruststoreType)
		}
		if location != "" {
			return nil, fmt.Errorf("configurations %s and %s cannot both be set", SSLTruststoreCerts, SSLTruststoreLocation)
		}
		return pemCertsOf([]byte(inline), SSLTruststoreCerts)
	}
	if location == "" {
		return nil, nil
	}
	data, err := os.ReadFile(location)
	if err != nil {
		return nil, fmt.Errorf("Failed to load SSL trust store %s (%s): %w", location, SSLTruststoreLocation, err)
	}
	var certs []*x509.Certificate
	switch typ = sniff(typ, data); typ {
	case "JKS":
		if password == "" {
			return nil, fmt.Errorf("configuration %s is required to read the JKS trust store %s", SSLTruststorePassword, location)
		}
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return nil, fmt.Errorf("Failed to load SSL trust store %s of type JKS (wrong %s?): %w", location, SSLTruststorePassword, err)
		}
		// Only trusted certificate entries are trust anchors (Java's PKIX
		// trust manager ignores key entries).
		for _, a := range ks.Aliases() {
			if !ks.IsTrustedCertificateEntry(a) {
				continue
			}
			e, err := ks.GetTrustedCertificateEntry(a)
			if err != nil {
				return nil, fmt.Errorf("reading entry %s of trust store %s: %w", a, location, err)
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, fmt.Errorf("parsing certificate %s of trust store %s: %w", a, location, err)
			}
			certs = append(certs, c)
		}
	case "PKCS12":
		if certs, err = pkcs12.DecodeTrustStore(data, password); err != nil {
			return nil, fmt.Errorf("Failed to load SSL trust store %s of type PKCS12 (wrong %s?): %w", location, SSLTruststorePassword, err)
		}
	case "PEM":
		if password != "" {
			return nil, fmt.Errorf("SSL trust store password cannot be specified for PEM format (%s)", SSLTruststorePassword)
		}
		return pemCertsOf(data, SSLTruststoreLocation+" "+location)
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration %s: use JKS, PKCS12 or PEM", typ, SSLTruststoreType)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("SSL trust store %s (%s) holds no trusted certificate entry", location, SSLTruststoreLocation)
	}
	return certs, nil
}

// sniff gives a JKS or PKCS12 store the type its content has: Java's key
// stores of either type read the other's files too (keystore.type.compat).
func sniff(typ string, data []byte) string {
	if typ != "JKS" && typ != "PKCS12" {
		return typ
	}
	if bytes.HasPrefix(data, []byte{0xfe, 0xed, 0xfe, 0xed}) {
		return "JKS"
	}
	return "PKCS12"
}

func pemCertsOf(data []byte, what string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing a certificate of %s: %w", what, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate in %s", what)
	}
	return certs, nil
}

// loadKeyStore reads the client certificate chain and key of
// ssl.keystore.*: JKS or PKCS12 (one key entry), or PEM (a file holding
// the key and the chain, or ssl.keystore.key and .certificate.chain). The
// key password defaults to the store password, as in Java.
func loadKeyStore(typ, location, password, keyPassword, inlineKey, inlineChain string) ([]*x509.Certificate, any, error) {
	typ = strings.ToUpper(typ)
	if inlineKey != "" || inlineChain != "" {
		if typ != "PEM" {
			return nil, nil, fmt.Errorf("configurations %s and %s require %s=PEM", SSLKeystoreKey, SSLKeystoreCertChain, SSLKeystoreType)
		}
		if location != "" {
			return nil, nil, fmt.Errorf("configurations %s and %s cannot both be set", SSLKeystoreKey, SSLKeystoreLocation)
		}
		if inlineKey == "" || inlineChain == "" {
			return nil, nil, fmt.Errorf("configurations %s and %s must be set together", SSLKeystoreKey, SSLKeystoreCertChain)
		}
		return pemKeyStore([]byte(inlineKey+"\n"+inlineChain), keyPassword, SSLKeystoreKey)
	}
	if location == "" {
		return nil, nil, nil
	}
	data, err := os.ReadFile(location)
	if err != nil {
		return nil, nil, fmt.Errorf("Failed to load SSL keystore %s (%s): %w", location, SSLKeystoreLocation, err)
	}
	if keyPassword == "" {
		keyPassword = password
	}
	switch typ = sniff(typ, data); typ {
	case "JKS":
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return nil, nil, fmt.Errorf("Failed to load SSL keystore %s of type JKS (wrong %s?): %w", location, SSLKeystorePassword, err)
		}
		var aliases []string
		for _, a := range ks.Aliases() {
			if ks.IsPrivateKeyEntry(a) {
				aliases = append(aliases, a)
			}
		}
		if len(aliases) != 1 {
			return nil, nil, fmt.Errorf("SSL keystore %s (%s) must hold exactly one private key entry, it holds %d", location, SSLKeystoreLocation, len(aliases))
		}
		e, err := ks.GetPrivateKeyEntry(aliases[0], []byte(keyPassword))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the key %s of SSL keystore %s (wrong %s?): %w", aliases[0], location, SSLKeyPassword, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the key %s of SSL keystore %s: %w", aliases[0], location, err)
		}
		var chain []*x509.Certificate
		for _, c := range e.CertificateChain {
			x, err := x509.ParseCertificate(c.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("parsing the certificate chain of %s in SSL keystore %s: %w", aliases[0], location, err)
			}
			chain = append(chain, x)
		}
		if len(chain) == 0 {
			return nil, nil, fmt.Errorf("the key %s of SSL keystore %s has no certificate", aliases[0], location)
		}
		return chain, key, nil
	case "PKCS12":
		key, leaf, cas, err := pkcs12.DecodeChain(data, password)
		if err != nil {
			return nil, nil, fmt.Errorf("Failed to load SSL keystore %s of type PKCS12 (wrong %s?): %w", location, SSLKeystorePassword, err)
		}
		return append([]*x509.Certificate{leaf}, cas...), key, nil
	case "PEM":
		if password != "" {
			return nil, nil, fmt.Errorf("SSL key store password cannot be specified with PEM format, only key password may be specified (%s)", SSLKeystorePassword)
		}
		return pemKeyStore(data, keyPassword, SSLKeystoreLocation+" "+location)
	}
	return nil, nil, fmt.Errorf("Invalid value %s for configuration %s: use JKS, PKCS12 or PEM", typ, SSLKeystoreType)
}

// pemKeyStore reads a PKCS#8 key (encrypted with keyPassword, or not) and
// the certificate chain from PEM text, as Java's PEM key stores hold them.
func pemKeyStore(data []byte, keyPassword, what string) ([]*x509.Certificate, any, error) {
	var key any
	var chain []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		var err error
		switch b.Type {
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(b.Bytes); err == nil {
				chain = append(chain, c)
			}
		case "ENCRYPTED PRIVATE KEY":
			if keyPassword == "" {
				return nil, nil, fmt.Errorf("the private key of %s is encrypted: set %s", what, SSLKeyPassword)
			}
			key, err = pkcs8.ParsePKCS8PrivateKey(b.Bytes, []byte(keyPassword))
			if err != nil {
				err = fmt.Errorf("decrypting it (wrong %s?): %w", SSLKeyPassword, err)
			}
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			err = fmt.Errorf("PEM block %s is not supported: keys must be PKCS#8 (PRIVATE KEY or ENCRYPTED PRIVATE KEY)", b.Type)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", what, err)
		}
	}
	if key == nil || len(chain) == 0 {
		return nil, nil, fmt.Errorf("%s must hold a PKCS#8 private key and its certificate chain in PEM", what)
	}
	return chain, key, nil
}
