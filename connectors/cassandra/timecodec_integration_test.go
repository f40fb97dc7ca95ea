//go:build integration

package cassandra

import (
	"context"
	"testing"
	"time"

	"github.com/gonnect/gonnect/connectors"
)

// TestIntegrationCassandraCodecSettings writes text and numbers parsed with
// the per-topic codec.* settings (time zone, patterns, unit) and reads the
// stored values back.
func TestIntegrationCassandraCodecSettings(t *testing.T) {
	s := session(t)
	ks := keyspace(t, s, "CREATE TABLE KS.c (k text PRIMARY KEY, ts timestamp, d date, tm time, tss list<timestamp>)")
	mapping := "k=key, ts=value.ts, d=value.d, tm=value.tm, tss=value.tss"
	tc := &fakeCtx{}
	task := startTask(t, map[string]string{
		"topic.eu." + ks + ".c.mapping":    mapping,
		"topic.eu.codec.locale":            "fr_FR",
		"topic.eu.codec.timeZone":          "Europe/Paris",
		"topic.eu.codec.timestamp":         "dd/MM/yyyy HH:mm:ss",
		"topic.eu.codec.date":              "dd.MM.yyyy",
		"topic.eu.codec.time":              "HH'h'mm",
		"topic.eu.codec.unit":              "SECONDS",
		"topic.epoch." + ks + ".c.mapping": mapping,
		"topic.epoch.codec.timestamp":      "UNITS_SINCE_EPOCH",
		"topic.epoch.codec.unit":           "MINUTES",
	}, tc)
	eu := jsonRec("eu", 1, time.Now(), map[string]any{"ts": "14/07/2026 09:30:00", "d": "14.07.2026", "tm": "09h30", "tss": []any{"01/01/2026 00:00:00", "1700000000"}})
	eu.Key.Value = "eu"
	epoch := jsonRec("epoch", 1, time.Now(), map[string]any{"ts": "60", "d": nil, "tm": nil, "tss": []any{int64(1)}})
	epoch.Key.Value = "epoch"
	if err := task.Put(context.Background(), []connectors.SinkRecord{eu, epoch}); err != nil || len(tc.errs) > 0 {
		t.Fatal(err, tc.errs)
	}
	var ts time.Time
	var d time.Time
	var tm time.Duration
	var tss []time.Time
	if err := s.Query("SELECT ts, d, tm, tss FROM "+ks+".c WHERE k = 'eu'").Scan(&ts, &d, &tm, &tss); err != nil {
		t.Fatal(err)
	}
	// Paris is UTC+2 in July and UTC+1 in January.
	if !ts.Equal(time.Date(2026, 7, 14, 7, 30, 0, 0, time.UTC)) || d.Format("2006-01-02") != "2026-07-14" || tm != 9*time.Hour+30*time.Minute ||
		len(tss) != 2 || !tss[0].Equal(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC)) || !tss[1].Equal(time.Unix(1700000000, 0)) {
		t.Errorf("eu row: ts %v, d %v, tm %v, tss %v", ts, d, tm, tss)
	}
	if err := s.Query("SELECT ts, tss FROM "+ks+".c WHERE k = 'epoch'").Scan(&ts, &tss); err != nil {
		t.Fatal(err)
	}
	if !ts.Equal(time.Unix(3600, 0)) || len(tss) != 1 || !tss[0].Equal(time.Unix(60, 0)) {
		t.Errorf("epoch row: ts %v, tss %v", ts, tss)
	}
}
