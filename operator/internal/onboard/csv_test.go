package onboard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

const header = "code,name_en,name_bn,level,division,district,upazila\n"

func readDataset(t testing.TB) []Unit {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "config", "units", "units.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	units, err := ParseCSV(f)
	if err != nil {
		t.Fatalf("parse config/units/units.csv: %v", err)
	}
	return units
}

func TestDatasetHas538Units(t *testing.T) {
	units := readDataset(t)
	if len(units) != 538 {
		t.Fatalf("dataset has %d units, want 538", len(units))
	}
	levels := map[kalyanv1alpha1.Level]int{}
	districts := map[string]bool{}
	for _, u := range units {
		levels[u.Level]++
		if u.Level == kalyanv1alpha1.LevelDistrict {
			districts[u.District] = true
		}
		if len(kalyanv1alpha1.NamespaceName(u.Code)) > 63 {
			t.Errorf("%s: namespace name too long", u.Code)
		}
	}
	if levels[kalyanv1alpha1.LevelDistrict] != 64 || len(districts) != 64 {
		t.Errorf("want one district hospital in each of the 64 districts, got %d in %d districts", levels[kalyanv1alpha1.LevelDistrict], len(districts))
	}
	if levels[kalyanv1alpha1.LevelMedicalCollege] == 0 || levels[kalyanv1alpha1.LevelSpecialised] == 0 || levels[kalyanv1alpha1.LevelUpazila] == 0 {
		t.Errorf("missing a level: %v", levels)
	}
	byCode := map[string]Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	for code, want := range map[string][2]string{
		"dmch":         {"Dhaka Medical College Hospital", "ঢাকা মেডিকেল কলেজ হাসপাতাল"},
		"rmch":         {"Rajshahi Medical College Hospital", "রাজশাহী মেডিকেল কলেজ হাসপাতাল"},
		"cmch":         {"Chattogram Medical College Hospital", "চট্টগ্রাম মেডিকেল কলেজ হাসপাতাল"},
		"nicvd":        {"National Institute of Cardiovascular Diseases & Hospital", "জাতীয় হৃদরোগ ইনস্টিটিউট ও হাসপাতাল"},
		"uhc-debidwar": {"Debidwar Upazila Health Complex", "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		"dh-cumilla":   {"Cumilla District Sadar Hospital", "কুমিল্লা জেলা সদর হাসপাতাল"},
	} {
		u, ok := byCode[code]
		if !ok || u.NameEN != want[0] || u.NameBN != want[1] {
			t.Errorf("%s: got %+v, want names %v", code, u, want)
		}
	}
}

func TestParseCSVRejectsBadRowsWithRowNumbers(t *testing.T) {
	good := "dmch,Dhaka Medical College Hospital,ঢাকা মেডিকেল কলেজ হাসপাতাল,medical-college,Dhaka,Dhaka,\n"
	tests := []struct {
		name, row string
		want      string
	}{
		{"bad code", "DMCH,X,এক্স,district,Dhaka,Dhaka,\n", `row 3: code "DMCH"`},
		{"long code", strings.Repeat("a", 41) + ",X,এক্স,district,Dhaka,Dhaka,\n", "row 3: code"},
		{"duplicate code", good, `row 3: code "dmch" already used in row 2`},
		{"unknown level", "x,X,এক্স,clinic,Dhaka,Dhaka,\n", `row 3: level "clinic"`},
		{"missing name", "x,,এক্স,district,Dhaka,Dhaka,\n", "row 3: name_en is required"},
		{"missing bengali", "x,X,,district,Dhaka,Dhaka,\n", "row 3: name_bn is required"},
		{"upazila missing", "uhc-x,X,এক্স,upazila,Dhaka,Dhaka,\n", "row 3: upazila is required"},
		{"missing district", "x,X,এক্স,district,Dhaka,,\n", "row 3: division and district are required"},
		{"too few fields", "x,X,এক্স,district\n", "row 3: record on line 3: wrong number of fields"},
		{"control character", "x,\"X\ty\",এক্স,district,Dhaka,Dhaka,\n", "row 3: name_en: contains a control character"},
		{"invalid utf-8", "x,X\xff,এক্স,district,Dhaka,Dhaka,\n", "row 3: name_en: is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(header + good + tt.row))
			if err == nil {
				t.Fatal("bad row accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			var re *RowError
			if !errors.As(err, &re) || re.Row != 3 {
				t.Fatalf("want a *RowError for row 3, got %#v", err)
			}
		})
	}
}

func TestParseCSVOptionalColumns(t *testing.T) {
	in := "code,name_en,name_bn,level,division,district,upazila,programmes,approval_threshold,min_donation,max_donation,bkash_secret\n" +
		"nicrh,National Institute of Cancer Research & Hospital,জাতীয় ক্যান্সার গবেষণা ইনস্টিটিউট ও হাসপাতাল,specialised,Dhaka,Dhaka,,cancer; thalassaemia,25000.00,50,100000.00,bkash-credentials\n"
	units, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	u := units[0]
	if strings.Join(u.Programmes, ",") != "cancer,thalassaemia" || u.ApprovalThreshold != "25000.00" || u.MinDonation != "50" ||
		u.BKashSecret == nil || u.BKashSecret.Namespace != "" || u.BKashSecret.Name != "bkash-credentials" {
		t.Fatalf("parsed %+v", u)
	}

	qualified, err := ParseCSV(strings.NewReader(strings.Replace(in, ",bkash-credentials\n", ",kalyan-nicrh/bkash-credentials\n", 1)))
	if err != nil || qualified[0].BKashSecret == nil || qualified[0].BKashSecret.Name != "bkash-credentials" {
		t.Fatalf("namespace-qualified reference in the unit's namespace: %+v %v", qualified, err)
	}

	for _, bad := range []struct{ cols, want string }{
		{"cancer;zakat,,,,", "zakat and general are funds"},
		{"cancer;cancer,,,,", `programme "cancer" listed twice`},
		{",10.001,,,", "approval_threshold"},
		{",0,,,", "approval_threshold must be positive"},
		{",,500,100,", "min_donation 500 exceeds max_donation 100"},
		{",,,,Bkash_Nicrh", "bkash_secret"},
		// The operator would read a Secret outside the unit's namespace for whoever onboards.
		{",,,,kalyan-system/bkash-nicrh", "must be in the unit's own namespace kalyan-nicrh"},
		{",,,,default/db-password", "must be in the unit's own namespace kalyan-nicrh"},
	} {
		row := "nicrh,N,এন,specialised,Dhaka,Dhaka,," + bad.cols + "\n"
		_, err := ParseCSV(strings.NewReader(strings.SplitN(in, "\n", 2)[0] + "\n" + row))
		if err == nil || !strings.Contains(err.Error(), "row 2: ") || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want row 2 and %q", bad.cols, err, bad.want)
		}
	}
}

// TestParseCSVApprovalColumns: a unit's approval rules (issue 14) come from
// the dataset too, checked as the HospitalUnit schema checks them.
func TestParseCSVApprovalColumns(t *testing.T) {
	head := "code,name_en,name_bn,level,division,district,upazila,checkers,window_days,committee_quorum,committee_size\n"
	units, err := ParseCSV(strings.NewReader(head + "uhc-bagha,Bagha UHC,বাঘা উপজেলা স্বাস্থ্য কমপ্লেক্স,upazila,Rajshahi,Rajshahi,Bagha,ms-rahman; uno-bagha,60,2,5\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := units[0].Approvals
	if strings.Join(a.Checkers, ",") != "ms-rahman,uno-bagha" || *a.WindowDays != 60 || *a.CommitteeQuorum != 2 || *a.CommitteeSize != 5 {
		t.Fatalf("parsed %+v", a)
	}
	hu := units[0].HospitalUnit()
	if len(hu.Spec.Policy.Checkers) != 2 || *hu.Spec.Policy.CommitteeQuorum != 2 {
		t.Fatalf("manifest policy %+v", hu.Spec.Policy)
	}
	spec := units[0].Unstructured().Object["spec"].(map[string]any)["policy"].(map[string]any)
	if spec["committeeQuorum"] != int64(2) || len(spec["checkers"].([]any)) != 2 || spec["windowDays"] != int64(60) {
		t.Fatalf("apply configuration policy %v", spec)
	}
	for _, bad := range []struct{ cols, want string }{
		{"ms 1,,,", "checker \"ms 1\""},
		{"ms-1;ms-1,,,", `checker "ms-1" listed twice`},
		{",0,,", "window_days"},
		{",367,,", "window_days"},
		{",,two,", "committee_quorum"},
		{",,6,5", "committee_quorum 6 exceeds committee_size 5"},
	} {
		_, err := ParseCSV(strings.NewReader(head + "uhc-bagha,B,বা,upazila,Rajshahi,Rajshahi,Bagha," + bad.cols + "\n"))
		if err == nil || !strings.Contains(err.Error(), "row 2: ") || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want row 2 and %q", bad.cols, err, bad.want)
		}
	}
}

func TestParseCSVHeader(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "empty",
		"code,name_en\n":                `missing column "name_bn"`,
		header[:len(header)-1] + ",x\n": `unknown column "x"`,
		"code,code,name_en,name_bn,level,division,district,upazila\n": `column "code" appears twice`,
		header: "no units",
	} {
		_, err := ParseCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	// A byte order mark from a spreadsheet export is fine.
	if _, err := ParseCSV(strings.NewReader("\uFEFF" + header + "x,X,এক্স,district,Dhaka,Dhaka,\n")); err != nil {
		t.Errorf("BOM: %v", err)
	}
}

func TestParseCSVReportsEveryBadRow(t *testing.T) {
	in := header + "a,A,এ,district,Dhaka,Dhaka,\nB,B,বি,district,Dhaka,Dhaka,\nc,C,সি,nowhere,Dhaka,Dhaka,\n"
	_, err := ParseCSV(strings.NewReader(in))
	if err == nil {
		t.Fatal("accepted")
	}
	if !strings.Contains(err.Error(), "row 3: ") || !strings.Contains(err.Error(), "row 4: ") || strings.Contains(err.Error(), "row 2: ") {
		t.Fatalf("want rows 3 and 4 reported, got %v", err)
	}
}

func TestWriteYAMLRoundTrips(t *testing.T) {
	units := readDataset(t)
	var b strings.Builder
	if err := WriteYAML(&b, units); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(b.String(), "---\n")[1:]
	if len(docs) != len(units) {
		t.Fatalf("%d documents for %d units", len(docs), len(units))
	}
	for i, d := range docs {
		var hu kalyanv1alpha1.HospitalUnit
		if err := yaml.UnmarshalStrict([]byte(d), &hu); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		want := units[i].HospitalUnit()
		if hu.Name != want.Name || hu.Spec.Code != want.Spec.Code || hu.Spec.Names != want.Spec.Names ||
			hu.Spec.Level != want.Spec.Level || hu.Spec.Upazila != want.Spec.Upazila || hu.Spec.Policy.ApprovalThreshold != want.Spec.Policy.ApprovalThreshold ||
			hu.Kind != "HospitalUnit" || hu.APIVersion != "kalyan.dev/v1alpha1" {
			t.Fatalf("document %d: got %+v, want %+v", i, hu, want)
		}
		if strings.Contains(d, "status") || strings.Contains(d, "creationTimestamp") {
			t.Fatalf("document %d carries fields onboarding must not own:\n%s", i, d)
		}
	}
}
