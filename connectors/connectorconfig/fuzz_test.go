package connectorconfig_test

import (
	"strings"
	"testing"

	"github.com/gonnect/gonnect/connectors"
	_ "github.com/gonnect/gonnect/connectors/cassandra"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	_ "github.com/gonnect/gonnect/connectors/file"
	"github.com/gonnect/gonnect/schemas/converters"
)

// configOf reads "key=value" lines (a fuzz input) into a connector config.
func configOf(s string) map[string]string {
	cfg := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(line, "=")
		cfg[k] = v
	}
	return cfg
}

// FuzzConnectorConfig validates arbitrary connector configs against every
// plugin, as PUT /connector-plugins/{p}/config/validate and every create
// do (the common keys, transforms and predicates with their own keys, the
// plugin's keys, the override policies): nothing may panic, and
// error_count is the number of error messages, as Connect counts them.
func FuzzConnectorConfig(f *testing.F) {
	for _, s := range []string{
		"connector.class=FileStreamSink\ntasks.max=1\ntopics=t\nfile=/tmp/x",
		"tasks.max=-1\ntopics=a,,b\ntopics.regex=[\nerrors.tolerance=some\nerrors.retry.timeout=x\nerrors.deadletterqueue.topic.name=a",
		"transforms=a,b,a\ntransforms.a.type=org.apache.kafka.connect.transforms.RegexRouter\ntransforms.a.regex=(\ntransforms.a.replacement=$9",
		"transforms=c\ntransforms.c.type=org.apache.kafka.connect.transforms.Cast$Value\ntransforms.c.spec=a:int8,b:nope,:,::",
		"transforms=t\ntransforms.t.type=org.apache.kafka.connect.transforms.TimestampConverter$Value\ntransforms.t.format=yyyy-MM-dd''HH\ntransforms.t.target.type=Timestamp",
		"transforms=f\ntransforms.f.type=org.apache.kafka.connect.transforms.ReplaceField$Value\ntransforms.f.renames=a:b,c\ntransforms.f.predicate=p\npredicates=p\npredicates.p.type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches\npredicates.p.pattern=*",
		"transforms=h\ntransforms.h.type=org.apache.kafka.connect.transforms.InsertHeader\ntransforms.h.header=\ntransforms.h.value.literal=\x00",
		"transforms=x\ntransforms.x.type=org.apache.kafka.connect.transforms.ExtractField$Key\ntransforms.x.field=a.b..c\ntransforms.x.field.syntax.version=V2",
		"contactPoints=a,,b\nport=99999\ntopic.t.ks.tb.mapping=a=value.a\ntopic.t.ks.tb.ttl=-5\ntopic.t.codec.timestamp=[[\nloadBalancing.localDc=\nmaxConcurrentRequests=0",
		"key.converter=io.confluent.connect.avro.AvroConverter\nkey.converter.schema.registry.url=\nheader.converter=nope\nvalue.converter.schemas.enable=maybe",
		"consumer.override.max.poll.records=x\nproducer.override.acks=2\nadmin.override.bootstrap.servers=\nname=\x7f\x01",
	} {
		f.Add(s)
	}
	d := connectorconfig.Defaults{KeyConverter: "org.apache.kafka.connect.json.JsonConverter", ValueConverter: "org.apache.kafka.connect.json.JsonConverter",
		HeaderConverter: "org.apache.kafka.connect.storage.SimpleHeaderConverter", Known: converters.Known}
	policies := []string{"All", "None", "Principal"}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 8192 {
			return
		}
		cfg := configOf(s)
		for _, p := range connectors.Plugins() {
			cfg[connectorconfig.ConnectorClass] = p.Class
			infos, _ := connectorconfig.Validate(p, d, cfg)
			def, _ := connectorconfig.Definition(p, d)
			_, _ = def.Parse(cfg)
			check := func(when string) {
				errs := 0
				for _, c := range infos.Configs {
					errs += len(c.Value.Errors)
				}
				if errs != infos.ErrorCount {
					t.Fatalf("%s %s: %d error messages listed, error_count %d", p.Class, when, errs, infos.ErrorCount)
				}
			}
			check("validated")
			for _, name := range policies {
				pol, err := connectorconfig.ParseOverridePolicy(name)
				if err != nil {
					t.Fatal(err)
				}
				pol.ValidateOverrides(p.Type, cfg, &infos)
				check("with policy " + name)
				_ = pol.Check(p.Type, cfg)
			}
		}
	})
}
