// Package keystores reads Java-style trust and key stores (JKS, PKCS12,
// PEM) into Go certificates and keys, for every TLS client and server
// gonnect configures the way Java users give it (Kafka clients, the REST
// listeners, the Cassandra driver). Messages name the settings of the
// caller's configuration, given in Names.
package keystores

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

// Names are the settings a caller's configuration gives the stores in,
// for messages.
type Names struct {
	TrustType, TrustLocation, TrustPassword, TrustCerts                 string
	KeyType, KeyLocation, KeyPassword, KeyKeyPassword, KeyKey, KeyChain string
}

// Kafka are the ssl.* names of Kafka's clients and Connect's listeners.
var Kafka = Names{
	TrustType: "ssl.truststore.type", TrustLocation: "ssl.truststore.location",
	TrustPassword: "ssl.truststore.password", TrustCerts: "ssl.truststore.certificates",
	KeyType: "ssl.keystore.type", KeyLocation: "ssl.keystore.location", KeyPassword: "ssl.keystore.password",
	KeyKeyPassword: "ssl.key.password", KeyKey: "ssl.keystore.key", KeyChain: "ssl.keystore.certificate.chain",
}

// Prefixed is n with every name prefixed, e.g. listeners.https.
func (n Names) Prefixed(prefix string) Names {
	p := func(s string) string { return prefix + s }
	return Names{p(n.TrustType), p(n.TrustLocation), p(n.TrustPassword), p(n.TrustCerts),
		p(n.KeyType), p(n.KeyLocation), p(n.KeyPassword), p(n.KeyKeyPassword), p(n.KeyKey), p(n.KeyChain)}
}

// ByContent is the type of a store whose configuration names no type
// (the DataStax connector's ssl.truststore.path and ssl.keystore.path,
// which Java's key stores read as JKS or PKCS12 alike): JKS, PKCS12 or
// PEM, told by the file's content. A password given with a PEM store of
// this type is the password of its encrypted key (key stores) or unused
// (trust stores), since PEM files have no store password.
const ByContent = ""

// TrustStore reads the CA certificates of ssl.truststore.*: a JKS or
// PKCS12 store, or PEM (a file or ssl.truststore.certificates). Nothing
// set means the system's roots (Java uses the JVM's).
func TrustStore(n Names, typ, location, password, inline string) ([]*x509.Certificate, error) {
	byContent := typ == ByContent
	typ = strings.ToUpper(typ)
	if inline != "" {
		if typ != "PEM" {
			return nil, fmt.Errorf("Invalid value for configuration %s: it requires %s=PEM", n.TrustCerts, n.TrustType)
		}
		if location != "" {
			return nil, fmt.Errorf("configurations %s and %s cannot both be set", n.TrustCerts, n.TrustLocation)
		}
		return pemCertsOf([]byte(inline), n.TrustCerts)
	}
	if location == "" {
		return nil, nil
	}
	data, err := os.ReadFile(location)
	if err != nil {
		return nil, fmt.Errorf("Failed to load SSL trust store %s (%s): %w", location, n.TrustLocation, err)
	}
	var certs []*x509.Certificate
	switch typ = sniff(typ, data); typ {
	case "JKS":
		if password == "" {
			return nil, fmt.Errorf("configuration %s is required to read the JKS trust store %s", n.TrustPassword, location)
		}
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return nil, fmt.Errorf("Failed to load SSL trust store %s of type JKS (wrong %s?): %w", location, n.TrustPassword, err)
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
			return nil, fmt.Errorf("Failed to load SSL trust store %s of type PKCS12 (wrong %s?): %w", location, n.TrustPassword, err)
		}
	case "PEM":
		if password != "" && !byContent {
			return nil, fmt.Errorf("SSL trust store password cannot be specified for PEM format (%s)", n.TrustPassword)
		}
		return pemCertsOf(data, n.TrustLocation+" "+location)
	default:
		return nil, fmt.Errorf("Invalid value %s for configuration %s: use JKS, PKCS12 or PEM", typ, n.TrustType)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("SSL trust store %s (%s) holds no trusted certificate entry", location, n.TrustLocation)
	}
	return certs, nil
}

// sniff gives a JKS or PKCS12 store the type its content has: Java's key
// stores of either type read the other's files too (keystore.type.compat).
// A store of type ByContent is PEM when its text starts with a PEM block.
func sniff(typ string, data []byte) string {
	if typ == ByContent && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("-----BEGIN ")) {
		return "PEM"
	}
	if typ != "JKS" && typ != "PKCS12" && typ != ByContent {
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

// KeyStore reads the client certificate chain and key of
// ssl.keystore.*: JKS or PKCS12 (one key entry), or PEM (a file holding
// the key and the chain, or ssl.keystore.key and .certificate.chain). The
// key password defaults to the store password, as in Java.
func KeyStore(n Names, typ, location, password, keyPassword, inlineKey, inlineChain string) ([]*x509.Certificate, any, error) {
	byContent := typ == ByContent
	typ = strings.ToUpper(typ)
	if inlineKey != "" || inlineChain != "" {
		if typ != "PEM" {
			return nil, nil, fmt.Errorf("configurations %s and %s require %s=PEM", n.KeyKey, n.KeyChain, n.KeyType)
		}
		if location != "" {
			return nil, nil, fmt.Errorf("configurations %s and %s cannot both be set", n.KeyKey, n.KeyLocation)
		}
		if inlineKey == "" || inlineChain == "" {
			return nil, nil, fmt.Errorf("configurations %s and %s must be set together", n.KeyKey, n.KeyChain)
		}
		return pemKeyStore(n, []byte(inlineKey+"\n"+inlineChain), keyPassword, n.KeyKey)
	}
	if location == "" {
		return nil, nil, nil
	}
	data, err := os.ReadFile(location)
	if err != nil {
		return nil, nil, fmt.Errorf("Failed to load SSL keystore %s (%s): %w", location, n.KeyLocation, err)
	}
	if keyPassword == "" {
		keyPassword = password
	}
	switch typ = sniff(typ, data); typ {
	case "JKS":
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
			return nil, nil, fmt.Errorf("Failed to load SSL keystore %s of type JKS (wrong %s?): %w", location, n.KeyPassword, err)
		}
		var aliases []string
		for _, a := range ks.Aliases() {
			if ks.IsPrivateKeyEntry(a) {
				aliases = append(aliases, a)
			}
		}
		if len(aliases) != 1 {
			return nil, nil, fmt.Errorf("SSL keystore %s (%s) must hold exactly one private key entry, it holds %d", location, n.KeyLocation, len(aliases))
		}
		e, err := ks.GetPrivateKeyEntry(aliases[0], []byte(keyPassword))
		if err != nil {
			return nil, nil, fmt.Errorf("reading the key %s of SSL keystore %s (wrong %s?): %w", aliases[0], location, n.KeyKeyPassword, err)
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
			return nil, nil, fmt.Errorf("Failed to load SSL keystore %s of type PKCS12 (wrong %s?): %w", location, n.KeyPassword, err)
		}
		return append([]*x509.Certificate{leaf}, cas...), key, nil
	case "PEM":
		if password != "" && !byContent {
			return nil, nil, fmt.Errorf("SSL key store password cannot be specified with PEM format, only key password may be specified (%s)", n.KeyPassword)
		}
		return pemKeyStore(n, data, keyPassword, n.KeyLocation+" "+location)
	}
	return nil, nil, fmt.Errorf("Invalid value %s for configuration %s: use JKS, PKCS12 or PEM", typ, n.KeyType)
}

// pemKeyStore reads a PKCS#8 key (encrypted with keyPassword, or not) and
// the certificate chain from PEM text, as Java's PEM key stores hold them.
func pemKeyStore(n Names, data []byte, keyPassword, what string) ([]*x509.Certificate, any, error) {
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
				return nil, nil, fmt.Errorf("the private key of %s is encrypted: set %s", what, n.KeyKeyPassword)
			}
			key, err = pkcs8.ParsePKCS8PrivateKey(b.Bytes, []byte(keyPassword))
			if err != nil {
				err = fmt.Errorf("decrypting it (wrong %s?): %w", n.KeyKeyPassword, err)
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
