package worker

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/worker/clientsecurity"
)

// restSSLPrefix is where the ssl.* settings of a listener kind are, as
// Connect's valuesWithPrefixAllOrNothing decides: under prefix when any
// key given starts with it, else at the top level.
func (c *Config) restSSLPrefix(prefix string) string {
	for k := range c.Raw {
		if strings.HasPrefix(k, prefix) {
			return prefix
		}
	}
	return ""
}

// RESTTLS parses the TLS settings of the REST listeners or their client
// (prefix ListenersHTTPSPrefix or AdminListenersHTTPSPrefix), read
// through the declared keys.
func (c *Config) RESTTLS(prefix string, use clientsecurity.TLSUse) (*clientsecurity.TLS, error) {
	p := c.restSSLPrefix(prefix)
	get := func(k, def string) string {
		name := p + k
		if _, given := c.Raw[name]; !given {
			return def
		}
		switch v := c.Values[name].(type) {
		case string:
			return strings.TrimSpace(v)
		case []string:
			return strings.Join(v, ",")
		case configdef.Secret:
			return v.Value()
		}
		return def // not a key Connect's REST server reads (SSLUtils)
	}
	return clientsecurity.ParseTLS(get, p, use)
}

func isHTTPS(listener string) bool {
	u, err := url.Parse(listener)
	return err == nil && u.Scheme == "https"
}

// RESTServerTLS is the TLS configuration of the https:// entries of
// listeners (of admin.listeners when admin), nil when none is https. A
// store that cannot be read, or no key store, is an error naming the key.
func (c *Config) RESTServerTLS(admin bool) (*tls.Config, error) {
	listeners, prefix := c.Values.List(Listeners), ListenersHTTPSPrefix
	if admin {
		listeners, prefix = c.Values.List(AdminListeners), AdminListenersHTTPSPrefix
	}
	https := ""
	for _, l := range listeners {
		if isHTTPS(l) {
			https = l
			break
		}
	}
	if https == "" {
		return nil, nil
	}
	t, err := c.RESTTLS(prefix, clientsecurity.RESTServer)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: REST listener %s: %w", https, err)
	}
	if t.Chain == nil {
		return nil, fmt.Errorf("invalid worker configuration: REST listener %s: an https listener needs a key store: set %sssl.keystore.location", https, c.restSSLPrefix(prefix))
	}
	return t.ServerConfig(), nil
}

// RESTClientTLS is the TLS configuration of the worker's requests to
// other workers' https:// listeners (Connect's RestClient): the
// listeners.https. settings, or the top-level ones.
func (c *Config) RESTClientTLS() (*tls.Config, error) {
	t, err := c.RESTTLS(ListenersHTTPSPrefix, clientsecurity.RESTClient)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: TLS of the requests to other workers: %w", err)
	}
	return t.ClientConfig(), nil
}

// HasHTTPSListener reports whether a main listener or the advertised
// listener is https, so that the worker's own TLS client settings must
// work.
func (c *Config) HasHTTPSListener() bool {
	for _, l := range c.Values.List(Listeners) {
		if isHTTPS(l) {
			return true
		}
	}
	return strings.EqualFold(c.Values.String(AdvertisedListener), "https")
}
