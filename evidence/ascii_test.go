package evidence

import "testing"

func TestASCIIFold(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"vietnamese street", "Đường Láng, Đống Đa, Hà Nội", "Duong Lang, Dong Da, Ha Noi"},
		{"stacked marks", "Nguyễn Trãi ngã tư Khuất Duy Tiến", "Nguyen Trai nga tu Khuat Duy Tien"},
		{"plain ascii", "cam-01 12:00", "cam-01 12:00"},
		{"no latin base", "東京", "??"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ASCIIFold(tt.in); got != tt.want {
				t.Fatalf("ASCIIFold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
