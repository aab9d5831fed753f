package receiptpdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestPoster: an A4 page whose text (as pdftotext reads it) carries the
// unit in both languages, the title, the short address and the bKash mark.
func TestPoster(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = r.RenderPoster(&buf, Poster{UnitBN: "ঢাকা মেডিকেল কলেজ হাসপাতাল", UnitEN: "Dhaka Medical College Hospital",
		TitleBN: "কিডনি রোগীদের ডায়ালাইসিস", TitleEN: "Dialysis for kidney patients", URL: "https://kalyan.example/d/dmch-dialysis",
		ShortURL: "kalyan.example/d/dmch-dialysis", Kind: "zakat", Programme: "kidney", Goal: money.Taka(50_000),
		EndsAt: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RenderPoster(&bytes.Buffer{}, Poster{UnitEN: "X"}); err == nil {
		t.Error("a poster without a link rendered")
	}
	f := filepath.Join(t.TempDir(), "poster.pdf")
	if err := os.WriteFile(f, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian: poppler-utils): %v", err)
	}
	for _, want := range []string{"ঢাকা মেডিকেল কলেজ হাসপাতাল", "Dhaka Medical College Hospital", "Dialysis for kidney patients",
		"kalyan.example/d/dmch-dialysis", "bKash", "50,000.00"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the poster lacks %q:\n%s", want, out)
		}
	}
	info, _ := exec.CommandContext(t.Context(), "pdfinfo", f).Output()
	if !strings.Contains(string(info), "595.28 x 841.89") {
		t.Errorf("poster page: %s, want A4", info)
	}
}
