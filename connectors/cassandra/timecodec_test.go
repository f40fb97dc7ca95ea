package cassandra

import (
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func codecFor(t *testing.T, settings map[string]string) *timeCodec {
	t.Helper()
	cfg := map[string]string{}
	for k, v := range settings {
		cfg["topic.t.codec."+k] = v
	}
	codecs, errs := parseCodecs(cfg)
	if err := firstError(errs); err != nil {
		t.Fatal(err)
	}
	if codecs["t"] == nil {
		return defaultCodec()
	}
	return codecs["t"]
}

func TestTimeCodecParsesTimestamps(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	ts := gocql.NewNativeType(protoVersion, gocql.TypeTimestamp, "")
	for _, c := range []struct {
		name     string
		settings map[string]string
		in       any
		want     time.Time
	}{
		{"CQL_TIMESTAMP with zone", nil, "2026-03-04T05:06:07.123+01:00", time.Date(2026, 3, 4, 4, 6, 7, 123e6, time.UTC)},
		{"CQL_TIMESTAMP space and no zone, in codec.timeZone", map[string]string{"timeZone": "Europe/Paris"}, "2026-07-01 12:00:00", time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)},
		{"CQL_TIMESTAMP date only", nil, "2026-07-01", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"digits in codec.unit", map[string]string{"unit": "SECONDS"}, "1700000000", time.Unix(1700000000, 0)},
		{"number in codec.unit", map[string]string{"unit": "SECONDS"}, int64(1700000000), time.Unix(1700000000, 0)},
		{"number in the default unit (ms)", map[string]string{"timeZone": "UTC"}, int64(1700000000123), time.UnixMilli(1700000000123)},
		{"UNITS_SINCE_EPOCH", map[string]string{"timestamp": "UNITS_SINCE_EPOCH", "unit": "MINUTES"}, "60", time.Unix(3600, 0)},
		{"ISO_ZONED_DATE_TIME with region", map[string]string{"timestamp": "ISO_ZONED_DATE_TIME"}, "2026-01-02T10:15:30+01:00[Europe/Paris]", time.Date(2026, 1, 2, 9, 15, 30, 0, time.UTC)},
		{"ISO_INSTANT", map[string]string{"timestamp": "ISO_INSTANT"}, "2026-01-02T10:15:30.5Z", time.Date(2026, 1, 2, 10, 15, 30, 5e8, time.UTC)},
		{"ISO_LOCAL_DATE_TIME in Paris", map[string]string{"timestamp": "ISO_LOCAL_DATE_TIME", "timeZone": "Europe/Paris"}, "2026-01-02T10:15", time.Date(2026, 1, 2, 10, 15, 0, 0, paris)},
		{"pattern", map[string]string{"timestamp": "dd/MM/yyyy HH:mm:ss.SSS"}, "04/03/2026 05:06:07.089", time.Date(2026, 3, 4, 5, 6, 7, 89e6, time.UTC)},
		{"pattern with names and quoted text, en_US", map[string]string{"timestamp": "EEE, d MMM yyyy 'at' HH:mm XXX", "locale": "en_US"}, "Wed, 4 Mar 2026 at 05:06 +02:00", time.Date(2026, 3, 4, 3, 6, 0, 0, time.UTC)},
		{"RFC_1123_DATE_TIME", map[string]string{"timestamp": "RFC_1123_DATE_TIME"}, "Tue, 3 Jun 2008 11:05:30 GMT", time.Date(2008, 6, 3, 11, 5, 30, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := codecFor(t, c.settings).apply(ts, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.(time.Time).Equal(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestTimeCodecParsesDatesAndTimes(t *testing.T) {
	date := gocql.NewNativeType(protoVersion, gocql.TypeDate, "")
	tm := gocql.NewNativeType(protoVersion, gocql.TypeTime, "")
	c := codecFor(t, map[string]string{"date": "dd.MM.yyyy", "time": "HH.mm.ss"})
	d, err := c.apply(date, "31.12.2025")
	if err != nil || !d.(time.Time).Equal(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date = %v, %v", d, err)
	}
	tv, err := c.apply(tm, "13.30.05")
	if err != nil || tv != 13*time.Hour+30*time.Minute+5*time.Second {
		t.Errorf("time = %v, %v", tv, err)
	}
	// Defaults: ISO_LOCAL_DATE and ISO_LOCAL_TIME, seconds optional.
	c = codecFor(t, map[string]string{"timeZone": "UTC"})
	if tv, err := c.apply(tm, "08:15"); err != nil || tv != 8*time.Hour+15*time.Minute {
		t.Errorf("default time = %v, %v", tv, err)
	}
	// Inside collections.
	list := gocql.NewNativeType(protoVersion, gocql.TypeCustom, "list<date>")
	got, err := c.apply(list, []any{"2026-01-02"})
	if err != nil || !got.([]any)[0].(time.Time).Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("list<date> = %v, %v", got, err)
	}
	if _, err := c.apply(date, "02/01/2026"); err == nil || !strings.Contains(err.Error(), "codec.date=ISO_LOCAL_DATE") {
		t.Errorf("bad date error = %v", err)
	}
}

func TestTimeCodecRejectsUnsupportedSettings(t *testing.T) {
	for _, c := range []struct{ key, value, want string }{
		{"timestamp", "ISO_WEEK_DATE", "unsupported formatter ISO_WEEK_DATE"},
		{"timestamp", "yyyy-MM-dd[ HH:mm]", "optional sections"},
		{"timestamp", "yyyy-MM-dd VV", "VV is not supported"},
		{"date", "CQL_TIMESTAMP", "only valid for codec.timestamp"},
		{"timeZone", "Mars/Olympus", "Mars/Olympus"},
		{"unit", "FORTNIGHTS", "unknown time unit"},
		{"locale", "not a locale", "not a locale"},
	} {
		_, errs := parseCodecs(map[string]string{"topic.t.codec." + c.key: c.value})
		err := errs["topic.t.codec."+c.key]
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "topic.t.codec."+c.key) {
			t.Errorf("%s=%s: error %v, want it to name the key and contain %q", c.key, c.value, err, c.want)
		}
	}
	_, errs := parseCodecs(map[string]string{"topic.t.codec.locale": "fr_FR", "topic.t.codec.timestamp": "d MMM yyyy"})
	if err := errs["topic.t.codec.locale"]; err == nil || !strings.Contains(err.Error(), "English only") {
		t.Errorf("fr_FR with month names: %v", err)
	}
	if _, errs := parseCodecs(map[string]string{"topic.t.codec.locale": "fr_FR", "topic.t.codec.timestamp": "dd/MM/yyyy"}); len(errs) > 0 {
		t.Errorf("fr_FR with a numeric pattern: %v", errs)
	}
}
