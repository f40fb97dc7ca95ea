// Package connectorconfig declares the keys every connector config has
// (Connect's ConnectorConfig and SinkConnectorConfig) and validates a
// connector config the way Connect's AbstractHerder does: the common keys,
// then the plugin's own ConfigDef, then sink-specific rules. The key
// documentation is Connect's, since tooling shows it to users.
package connectorconfig

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/transforms"
)

// Common key names.
const (
	Name            = "name"
	ConnectorClass  = "connector.class"
	TasksMax        = "tasks.max"
	TasksMaxEnforce = "tasks.max.enforce"
	KeyConverter    = "key.converter"
	ValueConverter  = "value.converter"
	HeaderConverter = "header.converter"
	Topics          = "topics"
	TopicsRegex     = "topics.regex"
	DLQTopic        = "errors.deadletterqueue.topic.name"
	DLQReplication  = "errors.deadletterqueue.topic.replication.factor"
	DLQHeaders      = "errors.deadletterqueue.context.headers.enable"
	ErrorsTolerance = "errors.tolerance"
	ErrorsLog       = "errors.log.enable"
	ErrorsLogMsgs   = "errors.log.include.messages"
	RetryTimeout    = "errors.retry.timeout"
	RetryDelayMax   = "errors.retry.delay.max.ms"
)

// Groups, in Connect's order.
const (
	groupCommon     = "Common"
	groupTransforms = "Transforms"
	groupPredicates = "Predicates"
	groupErrors     = "Error Handling"
)

// Defaults carries what the worker contributes: its converters are the
// defaults shown for a connector's converters, and the known converter
// classes are both recommended values and the check of a class name.
type Defaults struct {
	KeyConverter, ValueConverter, HeaderConverter string
	Converters, HeaderConverters                  []string
	// Known reports whether a converter class (or alias) exists.
	Known func(class string) bool
	// config is the connector config being validated, if any: a converter
	// version has a default only when the converter it would use exists.
	config map[string]string
}

// effective returns the converter class a connector would use for key.
func (d Defaults) effective(key, workerDefault string) string {
	if v, ok := d.config[key]; ok {
		if d.Known != nil && !d.Known(v) {
			return ""
		}
		return v
	}
	return workerDefault
}

func classValidator(known func(string) bool) configdef.Validator {
	return configdef.ValidatorFunc{Desc: "class", Fn: func(_ string, v any) error {
		s, _ := v.(string)
		if s == "" || known == nil || known(s) {
			return nil
		}
		return &configdef.ParseError{Msg: fmt.Sprintf("Class %s could not be found.", s)}
	}}
}

func recommend(values []string) func(string, map[string]any) ([]any, bool) {
	return recommendVisible(values, true)
}

func recommendVisible(values []string, visible bool) func(string, map[string]any) ([]any, bool) {
	return func(string, map[string]any) ([]any, bool) {
		out := make([]any, len(values))
		for i, v := range values {
			out[i] = v
		}
		return out, visible
	}
}

const converterDoc = "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the %s in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro."

var controlChars = regexp.MustCompile(`[\x00-\x1f\x7f]`)

// Common returns the keys shared by every connector of the given plugin.
func Common(p connectors.Plugin, d Defaults) *configdef.ConfigDef {
	// A converter's version has a default only when the worker names the
	// converter (validation); the plugin's bare definition has none.
	ver := func(what, class string) configdef.Key {
		k := configdef.Key{Name: what + ".plugin.version", Type: configdef.String, Importance: configdef.Low,
			Group: groupCommon, Width: configdef.WidthShort, Recommender: recommendVisible(nil, false)}
		if class != "" {
			k.Default = p.Version
			k.Recommender = recommend([]string{p.Version})
		}
		return k
	}
	kv := ver(KeyConverter, d.effective(KeyConverter, d.KeyConverter))
	vv := ver(ValueConverter, d.effective(ValueConverter, d.ValueConverter))
	hv := ver(HeaderConverter, d.effective(HeaderConverter, d.HeaderConverter))
	kv.Doc, kv.Display = "Version of the key converter.", "Key converter version"
	vv.Doc, vv.Display = "Version of the value converter.", "Value converter version"
	hv.Doc, hv.Display = "Version of the header converter.", "Header converter version"
	known := classValidator(d.Known)
	def := configdef.New().
		Define(configdef.Key{Name: Name, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Group: groupCommon,
			Width: configdef.WidthMedium, Display: "Connector name", Doc: "Globally unique name to use for this connector.",
			Validator: configdef.ValidatorFunc{Desc: "non-empty string without ISO control characters", Fn: func(_ string, v any) error {
				s, _ := v.(string)
				if s == "" {
					return fmt.Errorf("String may not be empty")
				}
				if controlChars.MatchString(s) {
					return fmt.Errorf("String may not contain control sequences but had the following ASCII chars: %v", controlCharCodes(s))
				}
				return nil
			}}}).
		Define(configdef.Key{Name: ConnectorClass, Type: configdef.String, Default: configdef.NoDefault, Importance: configdef.High, Group: groupCommon,
			Width: configdef.WidthLong, Display: "Connector class",
			Doc: "Name or alias of the class for this connector. Must be a subclass of org.apache.kafka.connect.connector.Connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter"}).
		Define(configdef.Key{Name: "connector.plugin.version", Type: configdef.String, Default: p.Version, Importance: configdef.Medium, Group: groupCommon,
			Width: configdef.WidthMedium, Display: "Connector version", Doc: "Version of the connector.", Recommender: recommend([]string{p.Version})}).
		Define(configdef.Key{Name: TasksMax, Type: configdef.Int, Default: 1, Importance: configdef.High, Group: groupCommon, Validator: configdef.AtLeast(1),
			Width: configdef.WidthShort, Display: "Tasks max", Doc: "Maximum number of tasks to use for this connector."}).
		Define(configdef.Key{Name: TasksMaxEnforce, Type: configdef.Boolean, Default: true, Importance: configdef.Low, Group: groupCommon,
			Width: configdef.WidthShort, Display: "Enforce tasks max",
			Doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector. By default, connectors that generate too many tasks will fail, and existing sets of tasks that exceed the tasks.max property will also be failed. If this property is set to false, then connectors will be allowed to generate more than the maximum number of tasks, and existing sets of tasks that exceed the tasks.max property will be allowed to run. This property is deprecated and will be removed in an upcoming major release."}).
		Define(configdef.Key{Name: KeyConverter, Type: configdef.Class, Default: nilIfEmpty(d.KeyConverter), Importance: configdef.Low, Group: groupCommon,
			Width: configdef.WidthShort, Display: "Key converter class", Doc: fmt.Sprintf(converterDoc, "keys"), Validator: known, Recommender: recommend(d.Converters)}).
		Define(kv).
		Define(configdef.Key{Name: ValueConverter, Type: configdef.Class, Default: nilIfEmpty(d.ValueConverter), Importance: configdef.Low, Group: groupCommon,
			Width: configdef.WidthShort, Display: "Value converter class", Doc: fmt.Sprintf(converterDoc, "values"), Validator: known, Recommender: recommend(d.Converters)}).
		Define(vv).
		Define(configdef.Key{Name: HeaderConverter, Type: configdef.Class, Default: nilIfEmpty(d.HeaderConverter), Importance: configdef.Low, Group: groupCommon,
			Width: configdef.WidthShort, Display: "Header converter class", Validator: known, Recommender: recommend(d.HeaderConverters),
			Doc: "HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka. This controls the format of the header values in messages written to or read from Kafka, and since this is independent of connectors it allows any connector to work with any serialization format. Examples of common formats include JSON and Avro. By default, the SimpleHeaderConverter is used to serialize header values to strings and deserialize them by inferring the schemas."}).
		Define(hv).
		Define(configdef.Key{Name: "transforms", Type: configdef.List, Default: "", Importance: configdef.Low, Group: groupTransforms, Order: 12,
			Width: configdef.WidthLong, Display: "Transforms", Doc: "Aliases for the transformations to be applied to records.",
			Validator: uniqueAliases("transformation")}).
		Define(configdef.Key{Name: "predicates", Type: configdef.List, Default: "", Importance: configdef.Low, Group: groupPredicates, Order: 13,
			Width: configdef.WidthLong, Display: "Predicates", Doc: "Aliases for the predicates used by transformations.",
			Validator: uniqueAliases("predicate")}).
		Define(configdef.Key{Name: "config.action.reload", Type: configdef.String, Default: "restart", Importance: configdef.Low, Group: groupCommon, Order: 14,
			Width: configdef.WidthMedium, Display: "Reload Action", Validator: configdef.In("none", "restart"), // case-sensitive, as Connect's ValidString
			Doc: "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties. A value of 'none' indicates that Connect will do nothing. A value of 'restart' indicates that Connect should restart/reload the connector with the updated configuration properties.The restart may actually be scheduled in the future if the external configuration provider indicates that a configuration value will expire in the future."}).
		Define(configdef.Key{Name: RetryTimeout, Type: configdef.Long, Default: 0, Importance: configdef.Medium, Group: groupErrors,
			Width: configdef.WidthMedium, Display: "Retry Timeout for Errors",
			Doc: "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries."}).
		Define(configdef.Key{Name: RetryDelayMax, Type: configdef.Long, Default: 60000, Importance: configdef.Medium, Group: groupErrors,
			Width: configdef.WidthMedium, Display: "Maximum Delay Between Retries for Errors",
			Doc: "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues."}).
		Define(configdef.Key{Name: ErrorsTolerance, Type: configdef.String, Default: "none", Importance: configdef.Medium, Group: groupErrors,
			Width: configdef.WidthShort, Display: "Error Tolerance", Validator: configdef.In("none", "all"),
			Doc: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records."}).
		Define(configdef.Key{Name: ErrorsLog, Type: configdef.Boolean, Default: false, Importance: configdef.Medium, Group: groupErrors,
			Width: configdef.WidthShort, Display: "Log Errors",
			Doc: "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported."}).
		Define(configdef.Key{Name: ErrorsLogMsgs, Type: configdef.Boolean, Default: false, Importance: configdef.Medium, Group: groupErrors,
			Width: configdef.WidthShort, Display: "Log Error Details",
			Doc: "Whether to include in the log the Connect record that resulted in a failure. For sink records, the topic, partition, offset, and timestamp will be logged. For source records, the key and value (and their schemas), all headers, and the timestamp, Kafka topic, Kafka partition, source partition, and source offset will be logged. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files."})
	if p.Type == connectors.TypeSink {
		def.Define(configdef.Key{Name: Topics, Type: configdef.List, Default: "", Importance: configdef.High, Group: groupCommon, Order: 4,
			Width: configdef.WidthLong, Display: "Topics", Doc: "List of topics to consume, separated by commas"}).
			Define(configdef.Key{Name: TopicsRegex, Type: configdef.String, Default: "", Importance: configdef.High, Group: groupCommon, Order: 4,
				Width: configdef.WidthLong, Display: "Topics regex", Validator: configdef.Regexp,
				Doc: "Regular expression giving topics to consume. Under the hood, the regex is compiled to a <code>java.util.regex.Pattern</code>. Only one of topics or topics.regex should be specified."}).
			Define(configdef.Key{Name: DLQTopic, Type: configdef.String, Default: "", Importance: configdef.Medium, Group: groupErrors, Order: 6,
				Width: configdef.WidthMedium, Display: "Dead Letter Queue Topic Name",
				Doc: "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ."}).
			Define(configdef.Key{Name: DLQReplication, Type: configdef.Short, Default: 3, Importance: configdef.Medium, Group: groupErrors, Order: 7,
				Width: configdef.WidthMedium, Display: "Dead Letter Queue Topic Replication Factor",
				Doc: "Replication factor used to create the dead letter queue topic when it doesn't already exist."}).
			Define(configdef.Key{Name: DLQHeaders, Type: configdef.Boolean, Default: false, Importance: configdef.Medium, Group: groupErrors, Order: 8,
				Width: configdef.WidthMedium, Display: "Enable Error Context Headers",
				Doc: "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys, all error context header keys will start with <code>__connect.errors.</code>"})
	}
	return def
}

// uniqueAliases refuses an alias listed twice, as Connect does; the keys
// of each alias are added by transforms.Enrich.
func uniqueAliases(kind string) configdef.Validator {
	return configdef.ValidatorFunc{Desc: "unique " + kind + " aliases", Fn: func(name string, v any) error {
		l, _ := v.([]string)
		seen := map[string]bool{}
		for _, a := range l {
			if seen[a] {
				return &configdef.Error{Name: name, Value: "[" + strings.Join(l, ", ") + "]", Message: "Duplicate alias provided."}
			}
			seen[a] = true
		}
		return nil
	}}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func controlCharCodes(s string) []int {
	var out []int
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			out = append(out, int(r))
		}
	}
	return out
}

// Definition returns the full ConfigDef of a plugin: the common keys, then
// the plugin's own (as /connector-plugins/{p}/config lists them).
func Definition(p connectors.Plugin, d Defaults) (*configdef.ConfigDef, connectors.Connector) {
	conn := p.New()
	return Common(p, d).Merge(conn.Config()), conn
}

// Validate validates a connector config as Connect's validate endpoint does.
func Validate(p connectors.Plugin, d Defaults, config map[string]string) (configdef.Infos, connectors.Connector) {
	d.config = config
	def, conn := Definition(p, d)
	infos := transforms.Enrich(def, config).Validate(config)
	infos.Name = config[ConnectorClass]
	if p.Type == connectors.TypeSink {
		validateSink(config, &infos)
	}
	return infos, conn
}

func validateSink(config map[string]string, infos *configdef.Infos) {
	topics := strings.TrimSpace(config[Topics])
	regex := strings.TrimSpace(config[TopicsRegex])
	switch {
	case topics != "" && regex != "":
		msg := "topics and topics.regex are mutually exclusive options, but both are set."
		infos.AddError(Topics, msg)
		infos.AddError(TopicsRegex, msg)
	case topics == "" && regex == "":
		msg := "Must configure one of topics or topics.regex"
		infos.AddError(Topics, msg)
		infos.AddError(TopicsRegex, msg)
	}
	dlq := strings.TrimSpace(config[DLQTopic])
	if dlq == "" || topics == "" {
		return
	}
	list := strings.Split(topics, ",")
	for i := range list {
		list[i] = strings.TrimSpace(list[i])
	}
	for _, t := range list {
		if t == dlq {
			infos.AddError(Topics, fmt.Sprintf("The DLQ topic '%s' may not be included in the list of topics ('topics=[%s]') consumed by the connector", dlq, strings.Join(list, ", ")))
			return
		}
	}
}
