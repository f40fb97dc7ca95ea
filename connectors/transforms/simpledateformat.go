package transforms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormat is a java.text.SimpleDateFormat pattern compiled for Go, in
// UTC (the zone both TimestampConverter and TimestampRouter set).
type dateFormat struct {
	pattern string
	elems   []dfElem
}

type dfElem struct {
	letter byte // 0 for literal text
	count  int
	lit    string
}

const dfLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

// compileDateFormat parses a SimpleDateFormat pattern; it fails where Java's
// constructor does ("Illegal pattern character", "Unterminated quote").
func compileDateFormat(p string) (*dateFormat, error) {
	df := &dateFormat{pattern: p}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				df.elems = append(df.elems, dfElem{lit: "'"})
				i += 2
				continue
			}
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("Unterminated quote")
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			df.elems = append(df.elems, dfElem{lit: b.String()})
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune(dfLetters, rune(c)) {
				return nil, fmt.Errorf("Illegal pattern character '%c'", c)
			}
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if c == 'X' && j-i > 3 {
				return nil, fmt.Errorf("invalid ISO 8601 format: length=%d", j-i)
			}
			df.elems = append(df.elems, dfElem{letter: c, count: j - i})
			i = j
		default:
			df.elems = append(df.elems, dfElem{lit: string(c)})
			i++
		}
	}
	return df, nil
}

var (
	monthsLong  = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthsShort = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	daysLong    = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	daysShort   = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
)

func pad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

// format renders t (in UTC) as SimpleDateFormat.format does.
func (df *dateFormat) format(t time.Time) string {
	t = t.UTC()
	var b strings.Builder
	for _, e := range df.elems {
		if e.letter == 0 {
			b.WriteString(e.lit)
			continue
		}
		n := e.count
		switch e.letter {
		case 'G':
			if t.Year() <= 0 {
				b.WriteString("BC")
			} else {
				b.WriteString("AD")
			}
		case 'y', 'Y':
			y := t.Year()
			if e.letter == 'Y' {
				y, _ = t.ISOWeek()
			}
			if y <= 0 {
				y = 1 - y
			}
			if n == 2 {
				b.WriteString(pad(int64(y%100), 2))
			} else {
				b.WriteString(pad(int64(y), n))
			}
		case 'M', 'L':
			m := int(t.Month())
			switch {
			case n >= 4:
				b.WriteString(monthsLong[m-1])
			case n == 3:
				b.WriteString(monthsShort[m-1])
			default:
				b.WriteString(pad(int64(m), n))
			}
		case 'w':
			_, w := t.ISOWeek()
			b.WriteString(pad(int64(w), n))
		case 'W':
			first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
			b.WriteString(pad(int64((t.Day()+int(first.Weekday())-1)/7+1), n))
		case 'D':
			b.WriteString(pad(int64(t.YearDay()), n))
		case 'd':
			b.WriteString(pad(int64(t.Day()), n))
		case 'F':
			b.WriteString(pad(int64((t.Day()-1)/7+1), n))
		case 'E':
			if n >= 4 {
				b.WriteString(daysLong[t.Weekday()])
			} else {
				b.WriteString(daysShort[t.Weekday()])
			}
		case 'u':
			d := int(t.Weekday())
			if d == 0 {
				d = 7
			}
			b.WriteString(pad(int64(d), n))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			b.WriteString(pad(int64(t.Hour()), n))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(pad(int64(h), n))
		case 'K':
			b.WriteString(pad(int64(t.Hour()%12), n))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(int64(h), n))
		case 'm':
			b.WriteString(pad(int64(t.Minute()), n))
		case 's':
			b.WriteString(pad(int64(t.Second()), n))
		case 'S':
			// Milliseconds as a number, not a fraction: "S" of 5 ms is "5".
			b.WriteString(pad(int64(t.Nanosecond()/1e6), n))
		case 'z':
			if n >= 4 {
				b.WriteString("Coordinated Universal Time")
			} else {
				b.WriteString("UTC")
			}
		case 'Z':
			b.WriteString("+0000")
		case 'X':
			b.WriteString("Z")
		}
	}
	return b.String()
}

func isNumericLetter(c byte, n int) bool {
	switch c {
	case 'y', 'Y', 'w', 'W', 'D', 'd', 'F', 'u', 'H', 'k', 'K', 'h', 'm', 's', 'S':
		return true
	case 'M', 'L':
		return n <= 2
	}
	return false
}

// parse reads s as SimpleDateFormat.parse does (lenient: out-of-range
// fields roll over; text after the pattern is ignored).
func (df *dateFormat) parse(s string) (time.Time, error) {
	fail := func() (time.Time, error) { return time.Time{}, fmt.Errorf("Unparseable date: %q", s) }
	year, month, day, hour, minute, sec, milli := 1970, 1, 1, 0, 0, 0, 0
	pm, hasAmPm, offset := false, false, 0
	twoDigitYear := false
	pos := 0
	for i, e := range df.elems {
		if e.letter == 0 {
			if !strings.HasPrefix(s[pos:], e.lit) {
				return fail()
			}
			pos += len(e.lit)
			continue
		}
		if isNumericLetter(e.letter, e.count) {
			// A field followed directly by another number takes exactly
			// its width, otherwise as many digits as there are.
			fixed := i+1 < len(df.elems) && df.elems[i+1].letter != 0 && isNumericLetter(df.elems[i+1].letter, df.elems[i+1].count)
			start := pos
			if pos < len(s) && (s[pos] == '-' || s[pos] == '+') && (e.letter == 'y' || e.letter == 'Y') {
				pos++
			}
			for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (!fixed || pos-start < e.count) {
				pos++
			}
			if pos == start {
				return fail()
			}
			v, err := strconv.Atoi(s[start:pos])
			if err != nil {
				return fail()
			}
			switch e.letter {
			case 'y', 'Y':
				year = v
				twoDigitYear = e.count <= 2 && pos-start == 2
			case 'M', 'L':
				month = v
			case 'd':
				day = v
			case 'D':
				month, day = 1, v
			case 'H', 'k':
				hour = v
				if e.letter == 'k' && v == 24 {
					hour = 0
				}
			case 'K', 'h':
				hour = v % 12
				if e.letter == 'h' && v == 12 {
					hour = 0
				}
			case 'm':
				minute = v
			case 's':
				sec = v
			case 'S':
				milli = v
			}
			continue
		}
		switch e.letter {
		case 'M', 'L':
			found := false
			for _, names := range [][]string{monthsLong, monthsShort} {
				for mi, name := range names {
					if len(s)-pos >= len(name) && strings.EqualFold(s[pos:pos+len(name)], name) {
						month, pos, found = mi+1, pos+len(name), true
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				return fail()
			}
		case 'E':
			found := false
			for _, names := range [][]string{daysLong, daysShort} {
				for _, name := range names {
					if len(s)-pos >= len(name) && strings.EqualFold(s[pos:pos+len(name)], name) {
						pos, found = pos+len(name), true
						break
					}
				}
				if found {
					break
				}
			}
			if !found {
				return fail()
			}
		case 'a':
			switch {
			case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "AM"):
			case len(s)-pos >= 2 && strings.EqualFold(s[pos:pos+2], "PM"):
				pm = true
			default:
				return fail()
			}
			hasAmPm = true
			pos += 2
		case 'G':
			if len(s)-pos >= 2 && (strings.EqualFold(s[pos:pos+2], "AD") || strings.EqualFold(s[pos:pos+2], "BC")) {
				pos += 2
			} else {
				return fail()
			}
		case 'z', 'Z', 'X':
			off, n, ok := parseZone(s[pos:])
			if !ok {
				return fail()
			}
			offset, pos = off, pos+n
		}
	}
	if hasAmPm && pm {
		hour += 12
	}
	if twoDigitYear {
		// Java resolves two-digit years into the century that puts the
		// date within 80 years before and 20 years after now.
		now := time.Now().UTC()
		start := now.Year() - 80
		year += start / 100 * 100
		if year < start {
			year += 100
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, milli*1e6, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// parseZone reads "Z", "UTC", "GMT", "+hh", "+hhmm" or "+hh:mm".
func parseZone(s string) (offset, n int, ok bool) {
	switch {
	case strings.HasPrefix(s, "Z"):
		return 0, 1, true
	case strings.HasPrefix(s, "UTC"), strings.HasPrefix(s, "GMT"):
		n = 3
		if len(s) == 3 || (s[3] != '+' && s[3] != '-') {
			return 0, 3, true
		}
		s = s[3:]
	}
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	h, err := strconv.Atoi(s[1:3])
	if err != nil {
		return 0, 0, false
	}
	m, used := 0, 3
	rest := s[3:]
	if strings.HasPrefix(rest, ":") {
		rest, used = rest[1:], used+1
	}
	if len(rest) >= 2 {
		if v, err := strconv.Atoi(rest[:2]); err == nil {
			m, used = v, used+2
		}
	}
	return sign * (h*3600 + m*60), n + used, true
}
