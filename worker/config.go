package worker

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/schemas/converters"
	"github.com/gonnect/gonnect/worker/clientsecurity"
	"github.com/gonnect/gonnect/worker/configprovider"
	"github.com/gonnect/gonnect/worker/sessionkey"
)

// Worker property names, as Apache Connect spells them.
const (
	BootstrapServers          = "bootstrap.servers"
	GroupID                   = "group.id"
	ConfigStorageTopic        = "config.storage.topic"
	ConfigStorageRF           = "config.storage.replication.factor"
	OffsetStorageTopic        = "offset.storage.topic"
	OffsetStoragePartitions   = "offset.storage.partitions"
	OffsetStorageRF           = "offset.storage.replication.factor"
	StatusStorageTopic        = "status.storage.topic"
	StatusStoragePartitions   = "status.storage.partitions"
	StatusStorageRF           = "status.storage.replication.factor"
	OffsetStorageFile         = "offset.storage.file.filename"
	KeyConverter              = "key.converter"
	ValueConverter            = "value.converter"
	HeaderConverter           = "header.converter"
	Listeners                 = "listeners"
	AdminListeners            = "admin.listeners"
	AdvertisedHost            = "rest.advertised.host.name"
	AdvertisedPort            = "rest.advertised.port"
	AdvertisedListener        = "rest.advertised.listener"
	OffsetFlushInterval       = "offset.flush.interval.ms"
	OffsetFlushTimeout        = "offset.flush.timeout.ms"
	SessionTimeout            = "session.timeout.ms"
	HeartbeatInterval         = "heartbeat.interval.ms"
	RebalanceTimeout          = "rebalance.timeout.ms"
	WorkerSyncTimeout         = "worker.sync.timeout.ms"
	WorkerUnsyncBackoff       = "worker.unsync.backoff.ms"
	ScheduledRebalanceDelay   = "scheduled.rebalance.max.delay.ms"
	ConnectProtocol           = "connect.protocol"
	TaskShutdownTimeout       = "task.shutdown.graceful.timeout.ms"
	ClientID                  = "client.id"
	ClientConfigOverride      = "connector.client.config.override.policy"
	PluginPath                = "plugin.path"
	AccessControlAllowOrigin  = "access.control.allow.origin"
	AccessControlAllowMethods = "access.control.allow.methods"
	ResponseHTTPHeaders       = "response.http.headers.config"
	TopicTrackingEnable       = "topic.tracking.enable"
	TopicTrackingAllowReset   = "topic.tracking.allow.reset"
	RestExtensionClasses      = "rest.extension.classes"
	// ListenersHTTPSPrefix and AdminListenersHTTPSPrefix hold the ssl.*
	// settings of the https:// listeners and admin listeners; when no key
	// has the prefix, the top-level ssl.* keys apply (Connect's
	// valuesWithPrefixAllOrNothing).
	ListenersHTTPSPrefix      = "listeners.https."
	AdminListenersHTTPSPrefix = "admin.listeners.https."
	// BasicAuthExtension is the one REST extension this worker has.
	BasicAuthExtension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
	// KIP-507: the session key the leader distributes and the signatures of
	// internal requests.
	InterWorkerKeyGenerationAlgorithm = "inter.worker.key.generation.algorithm"
	InterWorkerKeySize                = "inter.worker.key.size"
	InterWorkerKeyTTL                 = "inter.worker.key.ttl.ms"
	InterWorkerSignatureAlgorithm     = "inter.worker.signature.algorithm"
	InterWorkerVerificationAlgorithms = "inter.worker.verification.algorithms"
	// gonnect's own: Connect has no such keys (JMX and log4j do this there).
	MetricsListener = "gonnect.metrics.listener"
	LogFormat       = "gonnect.log.format"
	// JAASLoginConfig is the JVM's java.security.auth.login.config: the
	// JAAS file of the Basic authentication extension.
	JAASLoginConfig = "gonnect.java.security.auth.login.config"
)

// forwardedPrefixes are the prefixes of keys the worker hands to something
// else (Kafka clients, converters, config providers) rather than declaring
// them, so they are not warned about as unknown; ssl., sasl. and security.
// are Connect's client security keys, which go to every Kafka client.
var forwardedPrefixes = []string{
	"producer.", "consumer.", "admin.", "key.converter.", "value.converter.", "header.converter.",
	"config.providers.", "ssl.", "sasl.", "security.",
}

func positiveMillis() configdef.Validator { return configdef.AtLeast(0) }

// workerDef declares every worker property gonnect reads. Defaults match
// Apache Connect's WorkerConfig and DistributedConfig.
func workerDef(distributed bool) *configdef.ConfigDef {
	d := configdef.New().
		Define(configdef.Key{Name: BootstrapServers, Type: configdef.List, Default: configdef.NoDefault, Importance: configdef.High, Validator: bootstrapValidator,
			Doc: "A list of host/port pairs used to establish the initial connection to the Kafka cluster."}).
		Define(configdef.Key{Name: KeyConverter, Type: configdef.Class, Default: configdef.NoDefault, Importance: configdef.High, Validator: converterClass,
			Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record keys)."}).
		Define(configdef.Key{Name: ValueConverter, Type: configdef.Class, Default: configdef.NoDefault, Importance: configdef.High, Validator: converterClass,
			Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record values)."}).
		Define(configdef.Key{Name: HeaderConverter, Type: configdef.Class, Default: "org.apache.kafka.connect.storage.SimpleHeaderConverter", Importance: configdef.Low, Validator: converterClass,
			Doc: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka (record headers)."}).
		Define(configdef.Key{Name: Listeners, Type: configdef.List, Default: "http://:8083", Importance: configdef.Low,
			Doc: "List of comma-separated URIs the REST API will listen on, e.g. http://myhost:8083,http://:8084.", Validator: listenersValidator}).
		Define(configdef.Key{Name: AdminListeners, Type: configdef.List, Default: nil, Importance: configdef.Low,
			Doc: "List of comma-separated URIs the Admin REST API will listen on; unset means the main listener serves it, an empty list disables it."}).
		Define(configdef.Key{Name: AdvertisedHost, Type: configdef.String, Default: nil, Importance: configdef.Low,
			Doc: "If this is set, this is the hostname that will be given out to other workers to connect to."}).
		Define(configdef.Key{Name: AdvertisedPort, Type: configdef.Int, Default: nil, Importance: configdef.Low,
			Doc: "If this is set, this is the port that will be given out to other workers to connect to."}).
		Define(configdef.Key{Name: AdvertisedListener, Type: configdef.String, Default: nil, Importance: configdef.Low,
			Doc: "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use."}).
		Define(configdef.Key{Name: OffsetFlushInterval, Type: configdef.Long, Default: 60000, Importance: configdef.Low, Validator: configdef.AtLeast(1),
			Doc: "Interval at which to try committing offsets for tasks."}).
		Define(configdef.Key{Name: OffsetFlushTimeout, Type: configdef.Long, Default: 5000, Importance: configdef.Low, Validator: positiveMillis(),
			Doc: "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process."}).
		Define(configdef.Key{Name: TaskShutdownTimeout, Type: configdef.Long, Default: 5000, Importance: configdef.Low, Validator: positiveMillis(),
			Doc: "Amount of time to wait for tasks to shutdown gracefully."}).
		Define(configdef.Key{Name: ClientID, Type: configdef.String, Default: "", Importance: configdef.Low,
			Doc: "An id string to pass to the server when making requests."}).
		Define(configdef.Key{Name: ClientConfigOverride, Type: configdef.String, Default: "All", Importance: configdef.Medium, Validator: overridePolicyValidator,
			Doc: "Class name or alias of the ConnectorClientConfigOverridePolicy: which client configurations connectors may override (All, None or Principal)."}).
		Define(configdef.Key{Name: configprovider.ConfigProviders, Type: configdef.List, Default: []string{}, Importance: configdef.Low,
			Doc: "Comma-separated names of ConfigProvider classes, loaded and used in the order specified; each is configured by config.providers.<name>.class and config.providers.<name>.param.*, and replaces ${<name>:[path:]key} references in connector configurations."}).
		Define(configdef.Key{Name: PluginPath, Type: configdef.List, Default: nil, Importance: configdef.Low, Validator: configdef.NonEmptyList,
			Doc: "Accepted for compatibility and ignored: gonnect's connectors are built in."}).
		Define(configdef.Key{Name: AccessControlAllowOrigin, Type: configdef.String, Default: "", Importance: configdef.Low,
			Doc: "Value to set the Access-Control-Allow-Origin header to for REST API requests; empty disables CORS."}).
		Define(configdef.Key{Name: AccessControlAllowMethods, Type: configdef.String, Default: "", Importance: configdef.Low,
			Doc: "Sets the methods supported for cross origin requests by setting the Access-Control-Allow-Methods header."}).
		Define(configdef.Key{Name: ResponseHTTPHeaders, Type: configdef.String, Default: "", Importance: configdef.Low,
			Doc: "Rules for REST API HTTP response headers, e.g. 'set X-Frame-Options: DENY'."}).
		Define(configdef.Key{Name: TopicTrackingEnable, Type: configdef.Boolean, Default: true, Importance: configdef.Low,
			Doc: "Enable tracking the set of active topics per connector during runtime."}).
		Define(configdef.Key{Name: TopicTrackingAllowReset, Type: configdef.Boolean, Default: true, Importance: configdef.Low,
			Doc: "If set to true, it allows user requests to reset the set of active topics per connector."}).
		Define(configdef.Key{Name: RestExtensionClasses, Type: configdef.List, Default: "", Importance: configdef.Low, Validator: restExtensionsValidator,
			Doc: "Comma-separated names of ConnectRestExtension classes. gonnect has one: " + BasicAuthExtension +
				" (HTTP Basic authentication against the credentials files of the JAAS file's KafkaConnect entry)."}).
		Define(configdef.Key{Name: JAASLoginConfig, Type: configdef.String, Default: "", Importance: configdef.Low,
			Doc: "gonnect: the JAAS login configuration file of " + RestExtensionClasses + "'s Basic authentication, as the JVM's -Djava.security.auth.login.config; empty takes it from -Djava.security.auth.login.config in the KAFKA_OPTS environment variable, as Connect's scripts pass it."}).
		Define(configdef.Key{Name: MetricsListener, Type: configdef.String, Default: "", Importance: configdef.Low, Validator: metricsListenerValidator,
			Doc: "gonnect: a URI (http://host:port) on which Prometheus metrics are also served at /metrics, besides the REST listener; empty serves them on the REST listener only."}).
		Define(configdef.Key{Name: LogFormat, Type: configdef.String, Default: "", Importance: configdef.Low, Validator: configdef.In("", "text", "json"),
			Doc: "gonnect: the log output format, text or json; empty keeps the GONNECT_LOG_FORMAT environment variable's, else text."})
	defineSSL(d, "", sslKeys, "")
	defineSSL(d, ListenersHTTPSPrefix, sslKeys, "the https:// listeners and the worker's requests to other workers' https:// listeners")
	defineSSL(d, AdminListenersHTTPSPrefix, sslServerKeys, "the https:// admin listeners")
	if distributed {
		d.Define(configdef.Key{Name: GroupID, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Validator: configdef.NonEmptyString,
			Doc: "A unique string that identifies the Connect cluster group this worker belongs to."}).
			Define(configdef.Key{Name: ConfigStorageTopic, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Validator: configdef.NonEmptyString,
				Doc: "The name of the Kafka topic where connector configurations are stored."}).
			Define(configdef.Key{Name: ConfigStorageRF, Type: configdef.Short, Default: 3, Importance: configdef.Low, Validator: rfValidator,
				Doc: "Replication factor used when creating the configuration storage topic; -1 uses the broker default."}).
			Define(configdef.Key{Name: OffsetStorageTopic, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Validator: configdef.NonEmptyString,
				Doc: "The name of the Kafka topic where source connector offsets are stored."}).
			Define(configdef.Key{Name: OffsetStoragePartitions, Type: configdef.Int, Default: 25, Importance: configdef.Low, Validator: partitionsValidator,
				Doc: "The number of partitions used when creating the offset storage topic; -1 uses the broker default."}).
			Define(configdef.Key{Name: OffsetStorageRF, Type: configdef.Short, Default: 3, Importance: configdef.Low, Validator: rfValidator,
				Doc: "Replication factor used when creating the offset storage topic; -1 uses the broker default."}).
			Define(configdef.Key{Name: StatusStorageTopic, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Validator: configdef.NonEmptyString,
				Doc: "The name of the Kafka topic where connector and task status are stored."}).
			Define(configdef.Key{Name: StatusStoragePartitions, Type: configdef.Int, Default: 5, Importance: configdef.Low, Validator: partitionsValidator,
				Doc: "The number of partitions used when creating the status storage topic; -1 uses the broker default."}).
			Define(configdef.Key{Name: StatusStorageRF, Type: configdef.Short, Default: 3, Importance: configdef.Low, Validator: rfValidator,
				Doc: "Replication factor used when creating the status storage topic; -1 uses the broker default."}).
			Define(configdef.Key{Name: SessionTimeout, Type: configdef.Int, Default: 10000, Importance: configdef.High, Validator: configdef.AtLeast(1),
				Doc: "The timeout used to detect worker failures."}).
			Define(configdef.Key{Name: HeartbeatInterval, Type: configdef.Int, Default: 3000, Importance: configdef.High, Validator: configdef.AtLeast(1),
				Doc: "The expected time between heartbeats to the group coordinator."}).
			Define(configdef.Key{Name: RebalanceTimeout, Type: configdef.Int, Default: 60000, Importance: configdef.High, Validator: configdef.AtLeast(1),
				Doc: "The maximum allowed time for each worker to join the group once a rebalance has begun."}).
			Define(configdef.Key{Name: WorkerSyncTimeout, Type: configdef.Int, Default: 3000, Importance: configdef.Medium,
				Doc: "How long a worker waits to catch up with the leader's config before giving up its work and rejoining."}).
			Define(configdef.Key{Name: WorkerUnsyncBackoff, Type: configdef.Int, Default: 300000, Importance: configdef.Medium,
				Doc: "When the worker is out of sync and fails to catch up, how long to wait before rejoining."}).
			Define(configdef.Key{Name: ScheduledRebalanceDelay, Type: configdef.Int, Default: 300000, Importance: configdef.Low, Validator: configdef.AtLeast(0),
				Doc: "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group."}).
			Define(configdef.Key{Name: ConnectProtocol, Type: configdef.String, Default: "sessioned", Importance: configdef.Low,
				Validator: connectProtocolValidator,
				Doc:       "Compatibility mode for Kafka Connect Protocol."}).
			Define(configdef.Key{Name: InterWorkerKeyTTL, Type: configdef.Int, Default: 3600000, Importance: configdef.Low, Validator: configdef.AtLeast(0),
				Doc: "The TTL of generated session keys used for internal request validation (in milliseconds)"}).
			Define(configdef.Key{Name: InterWorkerKeyGenerationAlgorithm, Type: configdef.String, Default: "HmacSHA256", Importance: configdef.Low, Validator: macAlgorithm,
				Doc: "The algorithm to use for generating internal request keys."}).
			Define(configdef.Key{Name: InterWorkerKeySize, Type: configdef.Int, Default: nil, Importance: configdef.Low,
				Doc: "The size of the key to use for signing internal requests, in bits. If null, the default key size for the key generation algorithm will be used."}).
			Define(configdef.Key{Name: InterWorkerSignatureAlgorithm, Type: configdef.String, Default: "HmacSHA256", Importance: configdef.Low, Validator: macAlgorithm,
				Doc: "The algorithm used to sign internal requests."}).
			Define(configdef.Key{Name: InterWorkerVerificationAlgorithms, Type: configdef.List, Default: "HmacSHA256", Importance: configdef.Low, Validator: macAlgorithms,
				Doc: "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property."})
	} else {
		d.Define(configdef.Key{Name: OffsetStorageFile, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High,
			Doc: "File to store source connector offsets."})
	}
	return d
}

// ConfigKeys are the worker's declared keys (distributed or standalone),
// for tests and documentation that go over every key.
func ConfigKeys(distributed bool) []*configdef.Key { return workerDef(distributed).Keys() }

// sslKey is one of the ssl.* keys Connect's REST server and client read
// (SSLUtils), with Connect's type and default.
type sslKey struct {
	name  string
	typ   configdef.Type
	def   any
	doc   string
	valid configdef.Validator
}

// sslKeys are the keys Connect's SSLUtils reads for its REST server and
// client; sslServerKeys those of its server alone.
var sslKeys = append(sslServerKeys[:len(sslServerKeys):len(sslServerKeys)],
	sslKey{name: "ssl.endpoint.identification.algorithm", typ: configdef.String, def: "https",
		doc: "The endpoint identification algorithm to validate the server hostname using the server certificate; empty disables it (the chain is still verified)."})

var sslServerKeys = []sslKey{
	{name: "ssl.keystore.type", typ: configdef.String, def: "JKS", doc: "The file format of the key store file: JKS, PKCS12 or PEM."},
	{name: "ssl.keystore.location", typ: configdef.String, def: nil, doc: "The location of the key store file."},
	{name: "ssl.keystore.password", typ: configdef.Password, def: nil, doc: "The store password for the key store file (not for PEM)."},
	{name: "ssl.key.password", typ: configdef.Password, def: nil, doc: "The password of the private key in the key store file (or of an encrypted PEM key)."},
	{name: "ssl.truststore.type", typ: configdef.String, def: "JKS", doc: "The file format of the trust store file: JKS, PKCS12 or PEM."},
	{name: "ssl.truststore.location", typ: configdef.String, def: nil, doc: "The location of the trust store file; unset trusts the key store's certificates, as Jetty does."},
	{name: "ssl.truststore.password", typ: configdef.Password, def: nil, doc: "The password for the trust store file (not for PEM)."},
	{name: "ssl.enabled.protocols", typ: configdef.List, def: "TLSv1.2,TLSv1.3", doc: "The list of protocols enabled for SSL connections: TLSv1.2 and/or TLSv1.3."},
	{name: "ssl.protocol", typ: configdef.String, def: "TLSv1.3", doc: "The SSL protocol used to generate the SSLContext: TLSv1.3, TLSv1.2 or TLS (ssl.enabled.protocols decides)."},
	{name: "ssl.cipher.suites", typ: configdef.List, def: "", doc: "A list of cipher suites (IANA names). Go always offers all three TLS 1.3 suites: list all of them or none (none disables TLS 1.3)."},
	{name: "ssl.provider", typ: configdef.String, def: nil, doc: "Refused when set: Java security providers cannot run in this worker."},
	{name: "ssl.secure.random.implementation", typ: configdef.String, def: nil, doc: "Refused when set: the Go runtime's random source is used."},
	{name: "ssl.keymanager.algorithm", typ: configdef.String, def: "SunX509", doc: "The key manager algorithm; only the default is available."},
	{name: "ssl.trustmanager.algorithm", typ: configdef.String, def: "PKIX", doc: "The trust manager algorithm; only the default is available."},
	{name: "ssl.client.auth", typ: configdef.String, def: "none", valid: configdef.In("required", "requested", "none"),
		doc: "Whether the REST listener requests client certificates: required, requested or none."},
}

// defineSSL declares keys under prefix; an empty prefix declares the
// top-level keys, which Kafka clients read too.
func defineSSL(d *configdef.ConfigDef, prefix string, keys []sslKey, what string) {
	for _, k := range keys {
		doc := k.doc
		if prefix != "" {
			doc = "For " + what + ": " + doc
		} else if k.name != clientsecurity.SSLClientAuth {
			doc += " Read by the Kafka clients, and by the https:// listeners when no " + ListenersHTTPSPrefix + " (or " + AdminListenersHTTPSPrefix + ") key is set."
		} else {
			doc += " Read by the https:// listeners when no " + ListenersHTTPSPrefix + " (or " + AdminListenersHTTPSPrefix + ") key is set."
		}
		d.Define(configdef.Key{Name: prefix + k.name, Type: k.typ, Default: k.def, Importance: configdef.Low, Validator: k.valid, Doc: doc})
	}
}

var restExtensionsValidator = configdef.ValidatorFunc{Desc: BasicAuthExtension, Fn: func(name string, v any) error {
	l, _ := v.([]string)
	seen := map[string]bool{}
	for _, c := range l {
		if seen[c] {
			return &configdef.Error{Name: name, Message: fmt.Sprintf("Invalid value %s for configuration %s: Values must not be duplicated.", strings.Join(l, ","), name)}
		}
		seen[c] = true
		if c != BasicAuthExtension {
			return &configdef.Error{Name: name, Message: fmt.Sprintf("Invalid value %s for configuration %s: REST extension %s cannot be loaded: this worker runs no Java classes; its only REST extension is %s",
				strings.Join(l, ","), name, c, BasicAuthExtension)}
		}
	}
	return nil
}}

// bootstrapValidator is Connect's: a non-empty list without empty entries.
// Addresses are checked when the worker first connects (CheckBootstrap).
var bootstrapValidator = configdef.NonEmptyList

// converterClass refuses a converter class the worker does not have, as
// Connect fails to load the class while parsing its config: otherwise every
// connector created later would fail with the same error.
var converterClass = configdef.ValidatorFunc{Desc: "A converter class of this worker", Fn: func(_ string, v any) error {
	if s, _ := v.(string); s == "" || !converters.Known(s) {
		return &configdef.ParseError{Msg: fmt.Sprintf("Class %s could not be found.", s)}
	}
	return nil
}}

var overridePolicyValidator = configdef.ValidatorFunc{Desc: "All, None or Principal", Fn: func(name string, v any) error {
	s, _ := v.(string)
	if _, err := connectorconfig.ParseOverridePolicy(s); err != nil {
		return &configdef.Error{Name: name, Message: fmt.Sprintf("Invalid value %s for configuration %s: %v", s, name, err)}
	}
	return nil
}}

var connectProtocolValidator = configdef.ValidatorFunc{Desc: "[eager, compatible, sessioned]", Fn: func(_ string, v any) error {
	switch s, _ := v.(string); strings.ToLower(s) {
	case "eager", "compatible", "sessioned":
		return nil
	}
	return errors.New("Invalid Connect protocol compatibility")
}}

// unsupportedAlgorithm is Connect's message for an algorithm its JVM lacks,
// listing what this worker has.
func unsupportedAlgorithm(name, alg string) error {
	return &configdef.Error{Name: name, Value: alg, Message: "the algorithm is not supported by this worker; the supported algorithms are: " +
		strings.Join(sessionkey.Algorithms(), ", ")}
}

var macAlgorithm = configdef.ValidatorFunc{Desc: "Any MAC algorithm supported by the worker", Fn: func(name string, v any) error {
	if s, _ := v.(string); !sessionkey.Supported(s) {
		return unsupportedAlgorithm(name, s)
	}
	return nil
}}

var macAlgorithms = configdef.ValidatorFunc{Desc: "A list of one or more MAC algorithms, each supported by the worker", Fn: func(name string, v any) error {
	l, _ := v.([]string)
	if len(l) == 0 {
		return &configdef.Error{Name: name, Value: "[]", Message: "At least one signature verification algorithm must be provided"}
	}
	for _, a := range l {
		if !sessionkey.Supported(a) {
			return unsupportedAlgorithm(name, a)
		}
	}
	return nil
}}

// checkInterWorkerKeys is Connect's cross-check of the KIP-507 settings:
// the key generator can be made and the signature algorithm is one the
// worker verifies.
func checkInterWorkerKeys(vals configdef.Values) error {
	if _, err := keyGenerator(vals); err != nil {
		return fmt.Errorf("invalid worker configuration: %w", err)
	}
	sig := vals.String(InterWorkerSignatureAlgorithm)
	if !slices.Contains(vals.List(InterWorkerVerificationAlgorithms), sig) {
		return fmt.Errorf("invalid worker configuration: %w", &configdef.Error{Name: InterWorkerSignatureAlgorithm, Value: sig,
			Message: "Signature algorithm must be present in " + InterWorkerVerificationAlgorithms + " list"})
	}
	return nil
}

func keyGenerator(vals configdef.Values) (sessionkey.Generator, error) {
	var bits *int
	if vals.IsSet(InterWorkerKeySize) {
		n := vals.Int(InterWorkerKeySize)
		bits = &n
	}
	return sessionkey.NewGenerator(vals.String(InterWorkerKeyGenerationAlgorithm), bits)
}

// SessionKeys returns the KIP-507 settings of a distributed worker.
func (c *Config) SessionKeys() SessionKeyConfig {
	g, err := keyGenerator(c.Values)
	if err != nil {
		panic(err) // checked at parse time
	}
	return SessionKeyConfig{Generator: g, TTL: c.Millis(InterWorkerKeyTTL), SignatureAlgorithm: c.Values.String(InterWorkerSignatureAlgorithm),
		Verifier: sessionkey.Verifier{Algorithms: c.Values.List(InterWorkerVerificationAlgorithms)}}
}

var rfValidator = configdef.ValidatorFunc{Desc: "Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default", Fn: func(_ string, v any) error {
	if n, _ := v.(int16); n < 1 && n != -1 {
		return fmt.Errorf("Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default")
	}
	return nil
}}

var partitionsValidator = configdef.ValidatorFunc{Desc: "Positive number, or -1 to use the broker's default", Fn: func(_ string, v any) error {
	if n, _ := v.(int32); n < 1 && n != -1 {
		return fmt.Errorf("Number of partitions must be positive, or -1 to use the broker's default")
	}
	return nil
}}

// listenerURL is Connect's listener pattern (RestServer): a port is
// required ("http://" alone would bind a random one).
var listenerURL = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)]?:(-?[0-9]+)`)

var listenersValidator = configdef.ValidatorFunc{Desc: "List of comma-separated URLs, ex: http://localhost:8080,https://localhost:8443.", Fn: func(name string, v any) error {
	l, _ := v.([]string)
	if len(l) == 0 {
		return &configdef.Error{Name: name, Message: "Invalid value for listeners, at least one URL is expected, ex: http://localhost:8080,https://localhost:8443."}
	}
	for _, s := range l {
		if s == "" {
			return &configdef.Error{Name: name, Message: "Empty URL found when parsing listeners list."}
		}
		// Connect accepts any text here and fails when the REST server
		// starts; refusing it now names the key.
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !listenerURL.MatchString(s) {
			return fmt.Errorf("Could not parse listener URL %s", s)
		}
	}
	return nil
}}

// Config is a parsed worker configuration.
type Config struct {
	Distributed bool
	Values      configdef.Values
	// Raw holds every property as given, for client pass-through.
	Raw map[string]string
	def *configdef.ConfigDef
}

// ParseConfig validates worker properties. Unknown keys are logged as
// warnings, not errors, as Connect does; an invalid value stops start-up
// with an error naming the key.
func ParseConfig(props map[string]string, distributed bool, log *slog.Logger) (*Config, error) {
	def := workerDef(distributed)
	vals, err := def.Parse(props)
	if err != nil {
		return nil, fmt.Errorf("invalid worker configuration: %w", err)
	}
	if log != nil {
		warnUnknown(log, def, workerDef(!distributed), props)
	}
	if distributed {
		if err := distinctTopics(vals); err != nil {
			return nil, err
		}
	}
	c := &Config{Distributed: distributed, Values: vals, Raw: props, def: def}
	if distributed {
		if err := checkInterWorkerKeys(vals); err != nil {
			return nil, err
		}
		if vals.Int(SessionTimeout) <= vals.Int(HeartbeatInterval) {
			return nil, fmt.Errorf("invalid worker configuration: %s (%d) must be greater than %s (%d)",
				SessionTimeout, vals.Int(SessionTimeout), HeartbeatInterval, vals.Int(HeartbeatInterval))
		}
	}
	return c, nil
}

// warnUnknown logs every key neither declared nor forwarded, as Connect
// does; a key of Apache Connect's worker that this worker does not
// implement says so, since the user may expect it to work.
func warnUnknown(log *slog.Logger, def, otherMode *configdef.ConfigDef, props map[string]string) {
	var unknown []string
	for k := range props {
		if _, ok := def.Key(k); ok || hasAnyPrefix(k, forwardedPrefixes) {
			continue
		}
		unknown = append(unknown, k)
	}
	sort.Strings(unknown)
	apache := apacheWorkerKeys()
	for _, k := range unknown {
		if _, ok := apache[k]; ok {
			if _, other := otherMode.Key(k); !other {
				log.Warn(fmt.Sprintf("The configuration '%s' is an Apache Kafka Connect worker setting this worker does not implement; it is ignored.", k), "key", k)
				continue
			}
		}
		log.Warn(fmt.Sprintf("The configuration '%s' was supplied but isn't a known config.", k), "key", k)
	}
}

// distinctTopics refuses internal topics that share a name: the stores'
// records would mix (Connect finds out only later, when the config topic
// turns out to have several partitions, or never).
func distinctTopics(vals configdef.Values) error {
	keys := []string{ConfigStorageTopic, OffsetStorageTopic, StatusStorageTopic}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if vals.String(a) == vals.String(b) {
				return fmt.Errorf("invalid worker configuration: %s and %s are both '%s'; the config, offset and status topics must be three different topics",
					a, b, vals.String(a))
			}
		}
	}
	return nil
}

func hasAnyPrefix(k string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Bootstrap returns bootstrap.servers as librdkafka wants it.
func (c *Config) Bootstrap() string { return strings.Join(c.Values.List(BootstrapServers), ",") }

// Millis returns a duration-valued property.
func (c *Config) Millis(name string) time.Duration {
	return time.Duration(c.Values.Long(name)) * time.Millisecond
}

// ClientProps are the properties under a Kafka client prefix (consumer.,
// producer., admin.) with the prefix removed, leaving out the worker's own
// settings that merely share it (admin.listeners, admin.listeners.https.*):
// Java's clients ignore those as unused, librdkafka would refuse them.
func (c *Config) ClientProps(prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Raw {
		r, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if c.def != nil {
			if _, own := c.def.Key(k); own {
				continue
			}
		}
		out[r] = v
	}
	return out
}

// FirstListener returns the scheme, host and port of the first listener.
func (c *Config) FirstListener() (scheme, host string, port int, err error) {
	l := c.Values.List(Listeners)
	u, err := url.Parse(l[0])
	if err != nil {
		return "", "", 0, fmt.Errorf("parsing listener %s: %w", l[0], err)
	}
	host, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", "", 0, fmt.Errorf("parsing listener %s: %w", l[0], err)
	}
	port, err = strconv.Atoi(p)
	if err != nil {
		return "", "", 0, fmt.Errorf("parsing listener port %s: %w", l[0], err)
	}
	return u.Scheme, host, port, nil
}

// AdvertisedURL builds the URL other workers use to reach this one, with a
// trailing slash as Connect advertises it, from rest.advertised.* falling
// back to the listener of the advertised scheme. As Connect does, that
// scheme is rest.advertised.listener, else http when any listener is
// http://, else https.
func (c *Config) AdvertisedURL(boundPort int) string {
	listeners := c.Values.List(Listeners)
	scheme := strings.ToLower(c.Values.String(AdvertisedListener))
	if scheme == "" {
		scheme = "http"
		all := strings.ToLower(strings.Join(listeners, ","))
		if !strings.Contains(all, "http://") && strings.Contains(all, "https://") {
			scheme = "https"
		}
	}
	// The first listener of that scheme, else the first listener.
	pick := ""
	for _, l := range listeners {
		if u, err := url.Parse(l); err == nil && u.Scheme == scheme {
			pick = l
			break
		}
	}
	if pick == "" && len(listeners) > 0 {
		pick = listeners[0]
	}
	host, port := "", boundPort
	if u, err := url.Parse(pick); err == nil {
		if h, p, err := net.SplitHostPort(u.Host); err == nil {
			host = h
			if n, err := strconv.Atoi(p); err == nil && n != 0 {
				port = n
			}
		}
	}
	if h := c.Values.String(AdvertisedHost); h != "" {
		host = h
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = defaultHost()
	}
	if c.Values.IsSet(AdvertisedPort) {
		port = c.Values.Int(AdvertisedPort)
	}
	return fmt.Sprintf("%s://%s/", scheme, net.JoinHostPort(host, strconv.Itoa(port)))
}

// WorkerIDFromURL is host:port of the advertised URL, as Connect reports worker_id.
func WorkerIDFromURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Host
}

func defaultHost() string {
	if h, err := osHostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// apacheDistributedKeys is Apache Kafka Connect 4.3.1's DistributedConfig,
// extracted from its runtime: name, type and default of every key.
//
//go:embed apache-connect-distributed-4.3.1.tsv
var apacheDistributedKeys string

// ApacheKey is one key of Apache Connect's worker configuration.
type ApacheKey struct{ Name, Type, Default string }

// apacheWorkerKeys parses apacheDistributedKeys, plus standalone's one key.
func apacheWorkerKeys() map[string]ApacheKey {
	out := map[string]ApacheKey{OffsetStorageFile: {OffsetStorageFile, "STRING", "<required>"}}
	for _, line := range strings.Split(apacheDistributedKeys, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		out[f[0]] = ApacheKey{f[0], f[1], f[2]}
	}
	return out
}

// clusterLookupTimeout bounds the first call to Kafka. Connect waits for
// its admin client's default.api.timeout.ms (60 s) before failing; a
// worker that cannot reach its brokers should say so within seconds.
const clusterLookupTimeout = 10 * time.Second

// CheckBootstrap checks bootstrap.servers as Connect's clients do before
// connecting (host:port syntax, port range, at least one resolvable host)
// with Connect's messages, so a typo stops start-up at once.
func (c *Config) CheckBootstrap(ctx context.Context) error {
	resolved := 0
	for _, s := range c.Values.List(BootstrapServers) {
		host, _, err := splitHostPort(s)
		if err != nil {
			return err
		}
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			continue // Connect warns and goes on with the others
		}
		resolved++
	}
	if resolved == 0 {
		return fmt.Errorf("No resolvable bootstrap urls given in %s", BootstrapServers)
	}
	return nil
}

// splitHostPort parses host:port as Connect does (an optional scheme, an
// optional [IPv6] host), with its messages.
func splitHostPort(s string) (string, int, error) {
	m := hostPort.FindStringSubmatch(s)
	if m == nil {
		return "", 0, fmt.Errorf("Invalid url in %s: %s", BootstrapServers, s)
	}
	port, err := strconv.Atoi(m[2])
	if err != nil || port > 65535 {
		return "", 0, fmt.Errorf("Invalid port in %s: %s", BootstrapServers, s)
	}
	return m[1], port, nil
}

var hostPort = regexp.MustCompile(`^(?:[0-9a-zA-Z\-%._]*://)?\[?([0-9a-zA-Z\-%._:]*)]?:([0-9]+)$`)

// ClusterLookupContext bounds the worker's first call to Kafka.
func ClusterLookupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, clusterLookupTimeout)
}

// ClusterUnreachable is the start-up error when Kafka does not answer,
// naming bootstrap.servers and Connect's advice.
func (c *Config) ClusterUnreachable(err error) error {
	return fmt.Errorf("Failed to connect to and describe Kafka cluster at %s=%s within %s. Check worker's broker connection and security properties: %w",
		BootstrapServers, c.Bootstrap(), clusterLookupTimeout, err)
}

// OverridePolicy is the parsed connector.client.config.override.policy.
func (c *Config) OverridePolicy() connectorconfig.OverridePolicy {
	p, err := connectorconfig.ParseOverridePolicy(c.Values.String(ClientConfigOverride))
	if err != nil {
		panic(err) // the validator refused it at parse time
	}
	return p
}

// metricsListenerValidator accepts an empty value or one http:// URI.
var metricsListenerValidator = configdef.ValidatorFunc{Desc: "A URI such as http://:9404 (only http is supported), or empty", Fn: func(_ string, v any) error {
	s, _ := v.(string)
	if s == "" {
		return nil
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("expected a URI such as http://:9404 (only http is supported)")
	}
	return nil
}}
