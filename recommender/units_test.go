package recommender

import "testing"

func TestGOMEMLIMITFormat(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
	}{{"off", 0}, {"123", 123}, {"512B", 512}, {"64KiB", 64 << 10}, {"100MiB", 100 << 20}, {"2GiB", 2 << 30}, {"1TiB", 1 << 40}} {
		got, err := ParseGOMEMLIMIT(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseGOMEMLIMIT(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5GiB", "1GB", "1 GiB", "GiB"} {
		if _, err := ParseGOMEMLIMIT(bad); err == nil {
			t.Errorf("ParseGOMEMLIMIT(%q) accepted", bad)
		}
	}
	for _, v := range []float64{1, 1000, 4096, 3 << 20, 5 << 30, 1<<30 + 1} {
		s := FormatGOMEMLIMIT(v)
		if back, err := ParseGOMEMLIMIT(s); err != nil || back != v {
			t.Errorf("FormatGOMEMLIMIT(%v) = %q reads back as %v, %v", v, s, back, err)
		}
	}
}
