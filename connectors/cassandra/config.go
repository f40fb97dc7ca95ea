package cassandra

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors/configdef"
)

const (
	groupConn  = "Connection"
	groupWrite = "Writes"
)

// configDef declares the DataStax Apache Kafka Connector's settings, so
// its users' configs work unchanged, plus gonnect's extensions.
var configDef = configdef.New().
	Define(configdef.Key{Name: "contactPoints", Type: configdef.List, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "Initial DSE/Cassandra hosts to connect to, comma-separated (host or host:port); requires loadBalancing.localDc. None: 127.0.0.1."}).
	Define(configdef.Key{Name: "port", Type: configdef.Int, Default: 9042, Importance: configdef.High, Group: groupConn, Validator: configdef.Between(1, 65535),
		Doc: "Port of the contact points."}).
	Define(configdef.Key{Name: "loadBalancing.localDc", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The datacenter of the contact points: the driver sends requests to its nodes (token-aware)."}).
	Define(configdef.Key{Name: "auth.provider", Type: configdef.String, Default: "None", Importance: configdef.High, Group: groupConn,
		Validator: authProviders, Doc: "Authentication provider: None, or PLAIN for username/password authentication (Cassandra's PasswordAuthenticator); a username or password given with None means PLAIN. GSSAPI (Kerberos) is refused."}).
	Define(configdef.Key{Name: "auth.username", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "Username for PLAIN (username/password) provider authentication."}).
	Define(configdef.Key{Name: "auth.password", Type: configdef.Password, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "Password for PLAIN (username/password) provider authentication."}).
	Define(configdef.Key{Name: "ssl.provider", Type: configdef.String, Default: "None", Importance: configdef.High, Group: groupConn,
		Validator: configdef.InIgnoreCase("None", "JDK", "OpenSSL"), Doc: "SSL/TLS provider: None, JDK (ssl.truststore.* and ssl.keystore.*) or OpenSSL (ssl.truststore.* and ssl.openssl.*)."}).
	Define(configdef.Key{Name: "ssl.cipherSuites", Type: configdef.List, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The cipher suites to enable, by their Java (IANA) names; empty: the defaults. Suites Go's TLS lacks are refused, and TLS 1.3's three suites are enabled together or not at all."}).
	Define(configdef.Key{Name: "ssl.hostnameValidation", Type: configdef.Boolean, Default: true, Importance: configdef.High, Group: groupConn,
		Doc: "Whether or not to validate node hostnames when using SSL (the certificate chain is checked either way)."}).
	Define(configdef.Key{Name: "ssl.keystore.password", Type: configdef.Password, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "Keystore password (also the key's password, as in the Java driver)."}).
	Define(configdef.Key{Name: "ssl.keystore.path", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The path to the keystore file holding the client certificate and key (JKS or PKCS12; gonnect also reads PEM), for ssl.provider JDK."}).
	Define(configdef.Key{Name: "ssl.openssl.keyCertChain", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The path to the certificate chain file (PEM), for ssl.provider OpenSSL."}).
	Define(configdef.Key{Name: "ssl.openssl.privateKey", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The path to the private key file (PEM), for ssl.provider OpenSSL."}).
	Define(configdef.Key{Name: "ssl.truststore.password", Type: configdef.Password, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "Truststore password."}).
	Define(configdef.Key{Name: "ssl.truststore.path", Type: configdef.String, Default: "", Importance: configdef.High, Group: groupConn,
		Doc: "The path to the truststore file (JKS or PKCS12; gonnect also reads PEM certificates); none: the system's certificate authorities."}).
	Define(configdef.Key{Name: "compression", Type: configdef.String, Default: "None", Importance: configdef.Low, Group: groupConn,
		Validator: configdef.InIgnoreCase("None", "Snappy", "LZ4"), Doc: "Protocol compression: None, Snappy or LZ4."}).
	Define(configdef.Key{Name: "connectionPoolLocalSize", Type: configdef.Int, Default: 4, Importance: configdef.Low, Group: groupConn, Validator: configdef.AtLeast(1),
		Doc: "Connections per node in the local datacenter."}).
	Define(configdef.Key{Name: "queryExecutionTimeout", Type: configdef.Int, Default: 30, Importance: configdef.Medium, Group: groupWrite, Validator: configdef.AtLeast(1),
		Doc: "CQL statement execution timeout, in seconds."}).
	Define(configdef.Key{Name: "maxConcurrentRequests", Type: configdef.Int, Default: 500, Importance: configdef.Medium, Group: groupWrite, Validator: configdef.AtLeast(1),
		Doc: "Maximum number of requests in flight, for all the connector's tasks together (as DataStax's)."}).
	Define(configdef.Key{Name: "maxNumberOfRecordsInBatch", Type: configdef.Int, Default: 32, Importance: configdef.Medium, Group: groupWrite, Validator: configdef.AtLeast(1),
		Doc: "Maximum number of records grouped in one batch (records of one partition key)."}).
	Define(configdef.Key{Name: "maxBatchSizeBytes", Type: configdef.Int, Default: 40960, Importance: configdef.Medium, Group: groupWrite, Validator: configdef.AtLeast(1024),
		Doc: "gonnect: maximum estimated size of a batch, kept under Cassandra's batch_size_fail_threshold (50 KiB by default)."}).
	Define(configdef.Key{Name: "crossPartitionBatching", Type: configdef.String, Default: "auto", Importance: configdef.Low, Group: groupWrite,
		Validator: configdef.InIgnoreCase("auto", "true", "false"),
		Doc: "gonnect: pack records of different partitions of a table into one unlogged batch (up to 10 partitions and maxNumberOfRecordsInBatch records), so one request carries many writes. " +
			"auto: only when every node of the local datacenter is a replica of all data (one node, or replication factor >= nodes), decided at task start; true: always (a coordinator may forward writes); false: one partition per batch, as the DataStax connector does."}).
	Define(configdef.Key{Name: "ignoreErrors", Type: configdef.String, Default: "None", Importance: configdef.Medium, Group: groupWrite,
		Validator: configdef.InIgnoreCase("None", "Driver", "All", "true", "false"),
		Doc:       "None: fail (or use errors.tolerance); Driver: skip records whose write fails; All: also skip records that cannot be mapped."}).
	Define(configdef.Key{Name: "jmx", Type: configdef.Boolean, Default: true, Importance: configdef.Low, Group: groupConn,
		Doc: "The DataStax connector's switch for its JMX metrics. gonnect has no JMX reporter: false is what it does; true (DataStax's default) is accepted with a warning at task start when set explicitly."})

// unsupported are DataStax connector settings gonnect has no equivalent
// for, by prefix: refused, since writing elsewhere or without them would
// not be what the config asks.
var unsupported = []struct{ prefix, why string }{
	{"cloud.secureConnectBundle", "connecting through a cloud secure connect bundle is not supported; use contactPoints, loadBalancing.localDc and ssl.*"},
	{"datastax-java-driver.", "Java driver settings are not supported; use the connector's own settings"},
	{"auth.gssapi.", "GSSAPI (Kerberos) authentication is not supported; use auth.provider PLAIN with auth.username and auth.password"},
}

// unsupportedSetting returns the first setting of cfg gonnect refuses.
func unsupportedSetting(cfg map[string]string) (string, error) {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, u := range unsupported {
			if strings.HasPrefix(k, u.prefix) && cfg[k] != "" {
				return k, fmt.Errorf("Invalid value %s for configuration %s: %s", cfg[k], k, u.why)
			}
		}
	}
	return "", nil
}

// checkContactPoints is the DataStax connector's rule: contact points
// need the local datacenter, the one the driver sends requests to.
func checkContactPoints(v configdef.Values) error {
	var hosts []string
	for _, h := range v.List("contactPoints") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) > 0 && v.String("loadBalancing.localDc") == "" {
		return fmt.Errorf("Invalid value [%s] for configuration contactPoints: When contact points is provided, loadBalancing.localDc must also be specified", strings.Join(hosts, ", "))
	}
	return nil
}

// tableSettings are the topic.<topic>.<keyspace>.<table>.* settings.
type tableSettings struct {
	topic, keyspace, table string
	mappingKey             string
	mapping                []mapping
	consistency            gocql.Consistency
	ttl                    int64 // seconds, -1 none
	ttlUnit                time.Duration
	timestampUnit          time.Duration
	deletesEnabled         bool
	nullToUnset            bool
	query                  string
	codec                  *timeCodec // nil: toCQL's defaults (DataStax's, in UTC)
}

var topicKey = regexp.MustCompile(`^topic\.(.+)\.([^.]+)\.([^.]+)\.(mapping|consistencyLevel|ttl|ttlTimeUnit|timestampTimeUnit|deletesEnabled|nullToUnset|query)$`)

var units = map[string]time.Duration{
	"NANOSECONDS": time.Nanosecond, "MICROSECONDS": time.Microsecond, "MILLISECONDS": time.Millisecond,
	"SECONDS": time.Second, "MINUTES": time.Minute, "HOURS": time.Hour, "DAYS": 24 * time.Hour,
}

// parseTables reads every per-topic-and-table setting; errors name the key.
func parseTables(cfg map[string]string) ([]*tableSettings, map[string]error) {
	errs := map[string]error{}
	byTable := map[string]*tableSettings{}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := topicKey.FindStringSubmatch(k)
		if m == nil {
			// As in the DataStax connector, a misspelt topic setting is an
			// error, not a setting quietly ignored.
			if strings.HasPrefix(k, "topic.") && !codecKey.MatchString(k) {
				errs[k] = fmt.Errorf("The setting: %s does not match topic.keyspace.table nor topic.codec regular expression pattern", k)
			}
			continue
		}
		id := m[1] + "\x00" + m[2] + "\x00" + m[3]
		ts := byTable[id]
		if ts == nil {
			ts = &tableSettings{topic: m[1], keyspace: m[2], table: m[3], consistency: gocql.LocalOne, ttl: -1,
				ttlUnit: time.Second, timestampUnit: time.Microsecond, deletesEnabled: true, nullToUnset: true}
			byTable[id] = ts
		}
		v := strings.TrimSpace(cfg[k])
		var err error
		switch m[4] {
		case "mapping":
			ts.mappingKey = k
			ts.mapping, err = parseMapping(v)
		case "consistencyLevel":
			if ts.consistency, err = gocql.ParseConsistencyWrapper(strings.ToUpper(v)); err != nil {
				errs[k] = fmt.Errorf("Invalid value '%s' for configuration %s: valid values include: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM", v, k)
				continue
			}
		case "ttl":
			if ts.ttl, err = strconv.ParseInt(v, 10, 32); err == nil && ts.ttl < -1 {
				err = fmt.Errorf("Value must be at least -1")
			}
		case "ttlTimeUnit", "timestampTimeUnit":
			u, ok := units[strings.ToUpper(v)]
			if !ok {
				err = fmt.Errorf("unknown time unit %q", v)
			} else if m[4] == "ttlTimeUnit" {
				ts.ttlUnit = u
			} else {
				ts.timestampUnit = u
			}
		case "deletesEnabled":
			ts.deletesEnabled, err = strconv.ParseBool(v)
		case "nullToUnset":
			ts.nullToUnset, err = strconv.ParseBool(v)
		case "query":
			ts.query = v
		}
		if err != nil {
			if m[4] == "ttl" && (errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange)) {
				err = fmt.Errorf("Not a number of type INT")
			}
			errs[k] = fmt.Errorf("Invalid value %s for configuration %s: %w", v, k, err)
		}
	}
	var out []*tableSettings
	for _, ts := range byTable {
		if ts.mapping == nil && errs[ts.mappingKey] == nil {
			key := fmt.Sprintf("topic.%s.%s.%s.mapping", ts.topic, ts.keyspace, ts.table)
			errs[key] = fmt.Errorf("Missing required configuration %q which has no default value.", key)
			continue
		}
		// As in DataStax's connector: a custom query replaces the generated
		// statements, so there is no DELETE to run for a null value.
		if ts.query != "" && ts.deletesEnabled {
			key := fmt.Sprintf("topic.%s.%s.%s.query", ts.topic, ts.keyspace, ts.table)
			errs[key] = fmt.Errorf("You cannot provide both %s and topic.%s.%s.%s.deletesEnabled. If you want to provide own query, set the deletesEnabled to false.", key, ts.topic, ts.keyspace, ts.table)
			continue
		}
		out = append(out, ts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].mappingKey < out[j].mappingKey })
	codecs, cerrs := parseCodecs(cfg)
	for k, err := range cerrs {
		errs[k] = err
	}
	for _, ts := range out {
		ts.codec = codecs[ts.topic]
	}
	return out, errs
}
