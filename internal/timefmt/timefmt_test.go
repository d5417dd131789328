package timefmt_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/spytrace/spytrace/internal/timefmt"
)

var when = time.Date(2021, 7, 18, 10, 30, 15, 250000000, time.UTC)

func TestConversions(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"mac_seconds_float", timefmt.FromMacAbsolute(648297015.25), when},
		{"mac_seconds_int", timefmt.FromMacAbsoluteInt(648297015), when.Truncate(time.Second)},
		{"mac_nanoseconds_ios11", timefmt.FromMacAbsoluteInt(648297015250000000), when},
		{"mac_nanoseconds_as_float", timefmt.FromMacAbsolute(648297015250000000), when},
		{"unix_seconds", timefmt.FromUnix(1626604215.25), when},
		{"unix_millis", timefmt.FromUnixMillis(1626604215250), when},
		{"unix_micros", timefmt.FromUnixMicros(1626604215250000), when},
		{"webkit_micros", timefmt.FromWebKit(13271077815250000), when},
		{"zero_is_unknown", timefmt.FromMacAbsolute(0), time.Time{}},
		{"nan_is_unknown", timefmt.FromMacAbsolute(math.NaN()), time.Time{}},
		{"absurd_future_is_unknown", timefmt.FromUnix(1e13), time.Time{}},
		{"before_1971_is_unknown", timefmt.FromUnix(1000), time.Time{}},
		{"negative_mac_is_unknown", timefmt.FromMacAbsolute(-1e10), time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.got.Equal(tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestRoundTrips(t *testing.T) {
	if got := timefmt.FromMacAbsolute(timefmt.ToMacAbsolute(when)); !got.Equal(when) {
		t.Errorf("Mac absolute round trip: %v", got)
	}
	if got := timefmt.FromMacAbsoluteInt(timefmt.ToMacAbsoluteNanos(when)); !got.Equal(when) {
		t.Errorf("Mac nanoseconds round trip: %v", got)
	}
	if got := timefmt.FromWebKit(timefmt.ToWebKit(when)); !got.Equal(when) {
		t.Errorf("WebKit round trip: %v", got)
	}
}

func TestFormatAndJSON(t *testing.T) {
	if s := timefmt.Format(when); s != "2021-07-18 10:30:15.250000" {
		t.Errorf("Format = %q", s)
	}
	if s := timefmt.Format(time.Time{}); s != "" {
		t.Errorf("Format(zero) = %q", s)
	}
	b, _ := json.Marshal(struct {
		A timefmt.Time     `json:"a"`
		B timefmt.Time     `json:"b"`
		C timefmt.TimeText `json:"c"`
	}{A: timefmt.Of(when)})
	if string(b) != `{"a":"2021-07-18 10:30:15.250000","b":null,"c":""}` {
		t.Errorf("JSON = %s", b)
	}
	for _, in := range []string{`"2021-07-18 10:30:15.250000"`, `"2021-07-18T10:30:15.25Z"`, `"2021-07-18 10:30:15.25"`} {
		var v timefmt.Time
		if err := json.Unmarshal([]byte(in), &v); err != nil || !v.Equal(when) {
			t.Errorf("Unmarshal(%s) = %v, %v", in, v, err)
		}
	}
	// What other tools write for a date they did not know reads as unknown, and the
	// fields after it are still read.
	for _, in := range []string{`"yesterday"`, `0`, `"0"`, `null`, `""`, `{"x":1}`, `[1]`} {
		var rec struct {
			T    timefmt.Time `json:"t"`
			Next string       `json:"next"`
		}
		rec.T = timefmt.Of(when)
		if err := json.Unmarshal([]byte(`{"t":`+in+`,"next":"kept"}`), &rec); err != nil || !rec.T.IsZero() || rec.Next != "kept" {
			t.Errorf("Unmarshal(%s) = %v %q, %v", in, rec.T, rec.Next, err)
		}
	}
}
