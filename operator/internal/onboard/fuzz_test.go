package onboard

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// FuzzParseCSV checks that the dataset parser never panics and that whatever it accepts is a set of
// units the HospitalUnit schema accepts too; whatever it rejects names a row. Seeds: f.Add below plus
// testdata/fuzz/FuzzParseCSV. Run: go test ./operator/internal/onboard -fuzz FuzzParseCSV -fuzztime 1m
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(header + "dmch,Dhaka Medical College Hospital,ঢাকা মেডিকেল কলেজ হাসপাতাল,medical-college,Dhaka,Dhaka,\n"))
	f.Add([]byte(header + "uhc-debidwar,Debidwar Upazila Health Complex,দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স,upazila,Chattagram,Cumilla,Debidwar\n"))
	f.Add([]byte("code,name_en,name_bn,level,division,district,upazila,programmes,approval_threshold,min_donation,max_donation,bkash_secret\n" +
		"nicrh,N,এন,specialised,Dhaka,Dhaka,,cancer;burn,25000.00,10,500000.00,bkash-credentials\n"))
	f.Add([]byte(header + "a,\"multi\nline\",এ,district,Dhaka,Dhaka,\n"))
	f.Add([]byte(header + "a,A,এ,district,Dhaka,Dhaka,\na,A,এ,district,Dhaka,Dhaka,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		units, err := ParseCSV(bytes.NewReader(data))
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) && !strings.Contains(err.Error(), "dataset") {
				t.Fatalf("error names no row: %v", err)
			}
			if units != nil {
				t.Fatalf("units returned with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, u := range units {
			if !codeRE.MatchString(u.Code) || seen[u.Code] {
				t.Fatalf("accepted bad or duplicate code %q", u.Code)
			}
			seen[u.Code] = true
			if u.NameEN == "" || u.NameBN == "" || u.Division == "" || u.District == "" {
				t.Fatalf("accepted a unit with a required field empty: %+v", u)
			}
			if u.Level == kalyanv1alpha1.LevelUpazila && u.Upazila == "" {
				t.Fatalf("accepted an upazila unit without upazila: %+v", u)
			}
			if u.Row < 2 {
				t.Fatalf("row %d", u.Row)
			}
			hu := u.HospitalUnit()
			if hu.Name != u.Code || hu.Spec.Code != u.Code {
				t.Fatalf("manifest name %q for code %q", hu.Name, u.Code)
			}
		}
		var b bytes.Buffer
		if err := WriteYAML(&b, units); err != nil {
			t.Fatalf("write accepted units: %v", err)
		}
	})
}
