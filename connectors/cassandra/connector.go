// Package cassandra is a Cassandra sink connector configured like the
// DataStax Apache Kafka Connector (same class name, settings and mapping
// language), writing with prepared statements, unlogged batches grouped by
// partition key and bounded concurrency, and acknowledging offsets only
// after Cassandra acknowledged the writes.
package cassandra

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/gonnect/gonnect/connectors"
	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/internal/version"
)

// Class is the DataStax connector's class name, so existing configs work.
const Class = "com.datastax.oss.kafka.sink.CassandraSinkConnector"

func init() {
	connectors.Register(connectors.Plugin{Class: Class, Type: connectors.TypeSink, Version: version.Gonnect,
		Aliases: []string{"CassandraSink", "cassandra-sink"}, New: func() connectors.Connector { return &Connector{} }})
}

// Connector is the Cassandra sink connector.
type Connector struct{ cfg map[string]string }

// Version implements connectors.Connector.
func (c *Connector) Version() string { return version.Gonnect }

// Config implements connectors.Connector.
func (c *Connector) Config() *configdef.ConfigDef { return configDef }

// Start checks the settings; tables are checked by each task and by validation.
func (c *Connector) Start(_ context.Context, cfg map[string]string) error {
	vals, err := configDef.Parse(cfg)
	if err != nil {
		return err
	}
	if err := checkContactPoints(vals); err != nil {
		return err
	}
	if _, err := unsupportedSetting(cfg); err != nil {
		return err
	}
	if err := checkSecuritySettings(vals); err != nil {
		return err
	}
	tables, errs := parseTables(cfg)
	if err := firstError(errs); err != nil {
		return err
	}
	if len(tables) == 0 {
		return fmt.Errorf("no topic.<topic>.<keyspace>.<table>.mapping setting: nothing to write")
	}
	if err := unmappedTopic(cfg, tables); err != nil {
		return err
	}
	c.cfg = cfg
	return nil
}

func firstError(errs map[string]error) error {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return errs[keys[0]]
	}
	return nil
}

// TaskConfigs gives every task the connector's settings.
func (c *Connector) TaskConfigs(max int) ([]map[string]string, error) {
	out := make([]map[string]string, max)
	for i := range out {
		m := make(map[string]string, len(c.cfg))
		for k, v := range c.cfg {
			m[k] = v
		}
		out[i] = m
	}
	return out, nil
}

// Stop implements connectors.Connector.
func (c *Connector) Stop() error { return nil }

// NewTask implements connectors.SinkConnector.
func (c *Connector) NewTask() connectors.SinkTask { return &Task{log: slog.Default()} }

// ValidateConfig connects to Cassandra and reports, on the mapping
// setting, a missing table or column, an unmapped primary key column or an
// expression that does not parse.
func (c *Connector) ValidateConfig(ctx context.Context, cfg map[string]string, infos *configdef.Infos) {
	tables, errs := parseTables(cfg)
	for k, err := range errs {
		infos.AddError(k, err.Error())
	}
	if len(tables) == 0 && len(errs) == 0 {
		infos.AddError("topics", "no topic.<topic>.<keyspace>.<table>.mapping setting: nothing to write")
		return
	}
	if err := unmappedTopic(cfg, tables); err != nil {
		infos.AddError("topics", err.Error())
	}
	vals, err := configDef.Parse(cfg)
	if err != nil {
		return // the ConfigDef's own errors are already reported
	}
	if k, err := unsupportedSetting(cfg); err != nil {
		infos.AddError(k, err.Error())
		return
	}
	if err := checkContactPoints(vals); err != nil {
		infos.AddError("contactPoints", err.Error())
		return
	}
	// The stores are read, and a refused connection is reported on the
	// setting at fault (a wrong password, an untrusted certificate).
	if _, err := securityOf(vals); err != nil {
		infos.AddError(settingOf(err, "ssl.provider"), err.Error())
		return
	}
	s, err := connect(vals)
	if err != nil {
		infos.AddError(settingOf(err, "contactPoints"), err.Error())
		return
	}
	defer s.Close()
	for _, ts := range tables {
		if _, err := newTableWriter(ctx, s, ts); err != nil {
			infos.AddError(ts.mappingKey, err.Error())
		}
	}
}

// unmappedTopic is the DataStax connector's check that every topic listed
// in topics has settings (a topics.regex subscription is not checked).
func unmappedTopic(cfg map[string]string, tables []*tableSettings) error {
	list, ok := cfg["topics"]
	if !ok {
		return nil
	}
	mapped := map[string]bool{}
	for _, ts := range tables {
		mapped[ts.topic] = true
	}
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); !mapped[t] {
			return fmt.Errorf("Invalid value %s for configuration topics: Missing topic settings (topic.%s.*) for topic %s", list, t, t)
		}
	}
	return nil
}
