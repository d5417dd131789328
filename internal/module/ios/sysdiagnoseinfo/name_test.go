package sysdiagnoseinfo_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spytrace/spytrace/internal/module/ios/sysdiagnoseinfo"
)

func TestParseArchiveName(t *testing.T) {
	type parts struct{ Time, Offset, Platform, Class, Build, Version string }
	tests := []struct {
		in   string
		want parts
		err  string
	}{
		{"sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61", parts{"2026-03-14 08:26:53.000000", "+01:00", "iPhone-OS", "iPhone", "21D61", ""}, ""},
		{"sysdiagnose_2025.04.07_08-06-18-0700_iPhone-OS_iPhone_20A362.tar.gz", parts{"2025-04-07 15:06:18.000000", "-07:00", "iPhone-OS", "iPhone", "20A362", ""}, ""},
		{"sysdiagnose_2019.02.13_15-50-14+0100_iPhone_OS_iPhone_16C101.tgz", parts{"2019-02-13 14:50:14.000000", "+01:00", "iPhone_OS", "iPhone", "16C101", ""}, ""},
		{"sysdiagnose_2026.03.14_14-57-07+0800_iPhone-OS_iPad_23D8133", parts{"2026-03-14 06:57:07.000000", "+08:00", "iPhone-OS", "iPad", "23D8133", ""}, ""},
		{"sysdiagnose_2024.01.10_10-00-00+0530_iPhoneOS_iPhone_17.3.1_21D61", parts{"2024-01-10 04:30:00.000000", "+05:30", "iPhoneOS", "iPhone", "21D61", "17.3.1"}, ""},
		{"sysdiagnose_2026.09.07_17-42-39-0700_iPhone-OS_iPhone_23G83_mock_powerlog", parts{"2026-09-08 00:42:39.000000", "-07:00", "iPhone-OS", "iPhone", "23G83", ""}, ""},
		{"sysdiagnose_2023.09.20_10-00-00+1400_iPhone-OS_iPhone_21A5248v.tmp", parts{"2023-09-19 20:00:00.000000", "+14:00", "iPhone-OS", "iPhone", "21A5248v", ""}, ""},
		{"sysdiagnose_2022.02.14_12-57-34-0500", parts{"2022-02-14 17:57:34.000000", "-05:00", "", "", "", ""}, ""},
		{"case-42.tar.gz", parts{}, "does not start with sysdiagnose_"},
		{"sysdiagnose_2026.03.14", parts{}, "no date and time"},
		{"sysdiagnose_2026.02.30_09-26-53+0100_iPhone-OS_iPhone_21D61", parts{}, "is not YYYY.MM.DD"},
		{"sysdiagnose_2026.03.14_09-26-53Z0100_iPhone-OS_iPhone_21D61", parts{}, "is not YYYY.MM.DD"},
		{"sysdiagnose_2026.03.14_09-26-53+2300_iPhone-OS_iPhone_21D61", parts{}, "outside UTC"},
		{"sysdiagnose_1900.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61", parts{}, "is not YYYY.MM.DD"},
		{"sysdiagnose_2026.03.14_09-26-53+0100-iPhone-OS", parts{}, "unexpected"},
		{"sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone", parts{}, "no OS build"},
		{"sysdiagnose_2026.03.14_09-26-53+0100_21D61", parts{}, "no OS build"},
		{"sysdiagnose_2026.03.14_09-26-53+0100_iPhone OS_iPhone_21D61", parts{}, "is not a platform"},
		{"sysdiagnose_2026.03.14_09-26-53+0100__iPhone_21D61", parts{}, "is not a platform"},
		{"sysdiagnose_2026.03.14_09-26-53+0100" + strings.Repeat("_a", 20) + "_21D61", parts{}, "more than 16 parts"},
		{strings.Repeat("x", 600), parts{}, "longer than"},
	}
	for _, tt := range tests {
		n, err := sysdiagnoseinfo.ParseArchiveName(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseArchiveName(%q) = %+v, %v; want error %q", tt.in, n, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseArchiveName(%q): %v", tt.in, err)
			continue
		}
		got := parts{n.CollectionTime.String(), n.TimezoneOffset, n.Platform, n.ModelClass, n.Build, n.Version}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseArchiveName(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestAcquisitionName(t *testing.T) {
	for _, tt := range []struct {
		fsys any
		want string
	}{
		{named{prefix: "sysdiagnose_x"}, "sysdiagnose_x"},
		{named{root: "/cases/sysdiagnose_y.tar.gz"}, "sysdiagnose_y.tar.gz"},
		{named{}, ""},
		{struct{}{}, ""},
	} {
		if got := sysdiagnoseinfo.AcquisitionName(tt.fsys); got != tt.want {
			t.Errorf("AcquisitionName(%+v) = %q, want %q", tt.fsys, got, tt.want)
		}
	}
}

func FuzzParseArchiveName(f *testing.F) {
	for _, s := range []string{
		"sysdiagnose_2026.03.14_09-26-53+0100_iPhone-OS_iPhone_21D61",
		"sysdiagnose_2019.02.13_15-50-14+0100_iPhone_OS_iPhone_16C101.tar.gz",
		"sysdiagnose_2024.01.10_10-00-00+0530_iPhoneOS_iPhone_17.3.1_21D61",
		"sysdiagnose_2022.02.14_12-57-34-0500",
		"sysdiagnose_2026.03.14_09-26-53+0100_a_b_c_d_21D61_x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := sysdiagnoseinfo.ParseArchiveName(s)
		if err != nil {
			if diff := cmp.Diff(sysdiagnoseinfo.ArchiveName{}, n, cmpopts.IgnoreUnexported(sysdiagnoseinfo.ArchiveName{})); diff != "" {
				t.Fatalf("error %v with a non-empty result", err)
			}
			return
		}
		if !strings.HasPrefix(n.Name, "sysdiagnose_") || !strings.HasPrefix(s, n.Name) || n.CollectionTime.IsZero() {
			t.Fatalf("ParseArchiveName(%q) = %+v", s, n)
		}
		if n.TimezoneOffsetSeconds > 14*3600 || n.TimezoneOffsetSeconds < -12*3600 {
			t.Fatalf("offset %d", n.TimezoneOffsetSeconds)
		}
		if (n.Build == "") != (n.Platform == "") || (n.Build == "") != (n.ModelClass == "") {
			t.Fatalf("partial name parts: %+v", n)
		}
		for _, p := range []string{n.Platform, n.ModelClass, n.Build, n.Version} {
			if !utf8.ValidString(p) || strings.ContainsAny(p, " /") {
				t.Fatalf("part %q", p)
			}
		}
	})
}
