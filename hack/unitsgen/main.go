// Command unitsgen writes config/units/units.csv, the 538 hospital social service units onboarded by
// `kalyan-operator onboard`, from the real divisions, districts and upazilas of Bangladesh
// (shared/data/bd-geocode, English and Bengali names):
//
//   - 28 medical college hospitals and 12 specialised national institutes (listed below),
//   - one district sadar hospital per district (64, code dh-<district>),
//   - one upazila health complex per upazila other than the district sadar upazilas, whose people the
//     district hospital serves (434, code uhc-<upazila>, or uhc-<upazila>-<district> where two upazilas
//     share a name).
//
// Usage: go run ./hack/unitsgen [-geocode ../shared/data/bd-geocode] [-out config/units/units.csv]
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "unitsgen:", err)
		os.Exit(1)
	}
}

// wantUnits is the number of hospital social service units the platform onboards.
const wantUnits = 538

type place struct {
	id, parent string
	en, bn     string
}

type unit struct {
	code, nameEN, nameBN, level, division, district, upazila, programmes, threshold string
}

// hospital is a medical college hospital or specialised institute; district is the geocode spelling.
type hospital struct {
	code, en, bn, district, programmes string
}

var medicalColleges = []hospital{
	{"dmch", "Dhaka Medical College Hospital", "ঢাকা মেডিকেল কলেজ হাসপাতাল", "Dhaka", ""},
	{"ssmcmh", "Sir Salimullah Medical College Mitford Hospital", "স্যার সলিমুল্লাহ মেডিকেল কলেজ মিটফোর্ড হাসপাতাল", "Dhaka", ""},
	{"shsmch", "Shaheed Suhrawardy Medical College Hospital", "শহীদ সোহরাওয়ার্দী মেডিকেল কলেজ হাসপাতাল", "Dhaka", ""},
	{"mugmch", "Mugda Medical College Hospital", "মুগদা মেডিকেল কলেজ হাসপাতাল", "Dhaka", ""},
	{"cmch", "Chattogram Medical College Hospital", "চট্টগ্রাম মেডিকেল কলেজ হাসপাতাল", "Chattogram", ""},
	{"rmch", "Rajshahi Medical College Hospital", "রাজশাহী মেডিকেল কলেজ হাসপাতাল", "Rajshahi", ""},
	{"mmch", "Mymensingh Medical College Hospital", "ময়মনসিংহ মেডিকেল কলেজ হাসপাতাল", "Mymensingh", ""},
	{"somch", "Sylhet MAG Osmani Medical College Hospital", "সিলেট এম এ জি ওসমানী মেডিকেল কলেজ হাসপাতাল", "Sylhet", ""},
	{"sbmch", "Sher-e-Bangla Medical College Hospital", "শের-ই-বাংলা মেডিকেল কলেজ হাসপাতাল", "Barisal", ""},
	{"rpmch", "Rangpur Medical College Hospital", "রংপুর মেডিকেল কলেজ হাসপাতাল", "Rangpur", ""},
	{"cumch", "Cumilla Medical College Hospital", "কুমিল্লা মেডিকেল কলেজ হাসপাতাল", "Cumilla", ""},
	{"kmch", "Khulna Medical College Hospital", "খুলনা মেডিকেল কলেজ হাসপাতাল", "Khulna", ""},
	{"szmch", "Shaheed Ziaur Rahman Medical College Hospital", "শহীদ জিয়াউর রহমান মেডিকেল কলেজ হাসপাতাল", "Bogura", ""},
	{"fmch", "Faridpur Medical College Hospital", "ফরিদপুর মেডিকেল কলেজ হাসপাতাল", "Faridpur", ""},
	{"marmch", "M Abdur Rahim Medical College Hospital", "এম আব্দুর রহিম মেডিকেল কলেজ হাসপাতাল", "Dinajpur", ""},
	{"pmch", "Pabna Medical College Hospital", "পাবনা মেডিকেল কলেজ হাসপাতাল", "Pabna", ""},
	{"amumch", "Abdul Malek Ukil Medical College Hospital", "আব্দুল মালেক উকিল মেডিকেল কলেজ হাসপাতাল", "Noakhali", ""},
	{"coxmch", "Cox's Bazar Medical College Hospital", "কক্সবাজার মেডিকেল কলেজ হাসপাতাল", "Coxsbazar", ""},
	{"jmch", "Jashore Medical College Hospital", "যশোর মেডিকেল কলেজ হাসপাতাল", "Jashore", ""},
	{"satmch", "Satkhira Medical College Hospital", "সাতক্ষীরা মেডিকেল কলেজ হাসপাতাল", "Satkhira", ""},
	{"kumch", "Kushtia Medical College Hospital", "কুষ্টিয়া মেডিকেল কলেজ হাসপাতাল", "Kushtia", ""},
	{"tmch", "Tangail Medical College Hospital", "টাঙ্গাইল মেডিকেল কলেজ হাসপাতাল", "Tangail", ""},
	{"jamch", "Jamalpur Medical College Hospital", "জামালপুর মেডিকেল কলেজ হাসপাতাল", "Jamalpur", ""},
	{"ptmch", "Patuakhali Medical College Hospital", "পটুয়াখালী মেডিকেল কলেজ হাসপাতাল", "Patuakhali", ""},
	{"mamch", "M Mansur Ali Medical College Hospital", "এম মনসুর আলী মেডিকেল কলেজ হাসপাতাল", "Sirajganj", ""},
	{"ssnimch", "Shaheed Syed Nazrul Islam Medical College Hospital", "শহীদ সৈয়দ নজরুল ইসলাম মেডিকেল কলেজ হাসপাতাল", "Kishoreganj", ""},
	{"stamch", "Shaheed Tajuddin Ahmad Medical College Hospital", "শহীদ তাজউদ্দীন আহমদ মেডিকেল কলেজ হাসপাতাল", "Gazipur", ""},
	{"gmch", "Gopalganj Medical College Hospital", "গোপালগঞ্জ মেডিকেল কলেজ হাসপাতাল", "Gopalganj", ""},
}

var specialisedInstitutes = []hospital{
	{"nicvd", "National Institute of Cardiovascular Diseases & Hospital", "জাতীয় হৃদরোগ ইনস্টিটিউট ও হাসপাতাল", "Dhaka", "congenital-heart;stroke-paralysis"},
	{"nikdu", "National Institute of Kidney Diseases & Urology", "জাতীয় কিডনি রোগ ও ইউরোলজি ইনস্টিটিউট", "Dhaka", "kidney"},
	{"nicrh", "National Institute of Cancer Research & Hospital", "জাতীয় ক্যান্সার গবেষণা ইনস্টিটিউট ও হাসপাতাল", "Dhaka", "cancer"},
	{"nibps", "National Institute of Burn & Plastic Surgery", "জাতীয় বার্ন ও প্লাস্টিক সার্জারি ইনস্টিটিউট", "Dhaka", "burn"},
	{"nins", "National Institute of Neurosciences & Hospital", "জাতীয় নিউরোসায়েন্সেস ইনস্টিটিউট ও হাসপাতাল", "Dhaka", "stroke-paralysis"},
	{"nitor", "National Institute of Traumatology & Orthopaedic Rehabilitation", "জাতীয় অর্থোপেডিক হাসপাতাল ও পুনর্বাসন প্রতিষ্ঠান", "Dhaka", ""},
	{"nidch", "National Institute of Diseases of the Chest & Hospital", "জাতীয় বক্ষব্যাধি ইনস্টিটিউট ও হাসপাতাল", "Dhaka", ""},
	{"nio", "National Institute of Ophthalmology & Hospital", "জাতীয় চক্ষু বিজ্ঞান ইনস্টিটিউট ও হাসপাতাল", "Dhaka", ""},
	{"nimh", "National Institute of Mental Health & Hospital", "জাতীয় মানসিক স্বাস্থ্য ইনস্টিটিউট ও হাসপাতাল", "Dhaka", ""},
	{"nient", "National Institute of ENT", "জাতীয় নাক কান গলা ইনস্টিটিউট", "Dhaka", ""},
	{"idh", "Infectious Diseases Hospital", "সংক্রামক ব্যাধি হাসপাতাল", "Dhaka", ""},
	{"dsh", "Dhaka Shishu Hospital", "ঢাকা শিশু হাসপাতাল", "Dhaka", "thalassaemia;congenital-heart;cancer"},
}

// spellingFixes corrects typos in the geocode data's English names.
var spellingFixes = map[string]string{"Borhan Sddin": "Borhan Uddin"}

// Approval thresholds by level: big hospitals see larger aid requests.
var thresholds = map[string]string{
	"medical-college": "25000.00",
	"specialised":     "25000.00",
	"district":        "10000.00",
	"upazila":         "5000.00",
}

func run() error {
	geocode := flag.String("geocode", "../shared/data/bd-geocode", "folder with divisions.csv, districts.csv and upazilas.csv")
	out := flag.String("out", "config/units/units.csv", "CSV file to write")
	flag.Parse()

	divisions, err := readPlaces(filepath.Join(*geocode, "divisions.csv"), false)
	if err != nil {
		return err
	}
	districts, err := readPlaces(filepath.Join(*geocode, "districts.csv"), true)
	if err != nil {
		return err
	}
	upazilas, err := readPlaces(filepath.Join(*geocode, "upazilas.csv"), true)
	if err != nil {
		return err
	}
	units, err := build(divisions, districts, upazilas)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"code", "name_en", "name_bn", "level", "division", "district", "upazila", "programmes", "approval_threshold"})
	for _, u := range units {
		_ = w.Write([]string{u.code, u.nameEN, u.nameBN, u.level, u.division, u.district, u.upazila, u.programmes, u.threshold})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(os.Stderr, "unitsgen: wrote %d units to %s\n", len(units), *out)
	return nil
}

func build(divisions, districts, upazilas []place) ([]unit, error) {
	divByID := map[string]place{}
	for _, d := range divisions {
		divByID[d.id] = d
	}
	distByID, distByName := map[string]place{}, map[string]place{}
	for _, d := range districts {
		if _, ok := divByID[d.parent]; !ok {
			return nil, fmt.Errorf("district %s: unknown division %s", d.en, d.parent)
		}
		distByID[d.id] = d
		distByName[d.en] = d
	}

	var units []unit
	hospitals := func(list []hospital, level string) error {
		for _, h := range list {
			d, ok := distByName[h.district]
			if !ok {
				return fmt.Errorf("%s: unknown district %q", h.code, h.district)
			}
			units = append(units, unit{h.code, h.en, h.bn, level, divByID[d.parent].en, d.en, "", h.programmes, thresholds[level]})
		}
		return nil
	}
	if err := hospitals(medicalColleges, "medical-college"); err != nil {
		return nil, err
	}
	if err := hospitals(specialisedInstitutes, "specialised"); err != nil {
		return nil, err
	}
	for _, d := range districts {
		units = append(units, unit{
			"dh-" + slug(d.en), d.en + " District Sadar Hospital", d.bn + " জেলা সদর হাসপাতাল",
			"district", divByID[d.parent].en, d.en, "", "", thresholds["district"],
		})
	}

	nameCount := map[string]int{}
	for _, u := range upazilas {
		nameCount[slug(u.en)]++
	}
	for _, u := range upazilas {
		if strings.HasSuffix(u.en, " Sadar") { // served by the district sadar hospital
			continue
		}
		d, ok := distByID[u.parent]
		if !ok {
			return nil, fmt.Errorf("upazila %s: unknown district %s", u.en, u.parent)
		}
		code := "uhc-" + slug(u.en)
		if nameCount[slug(u.en)] > 1 {
			code += "-" + slug(d.en)
		}
		units = append(units, unit{
			code, u.en + " Upazila Health Complex", u.bn + " উপজেলা স্বাস্থ্য কমপ্লেক্স",
			"upazila", divByID[d.parent].en, d.en, u.en, "", thresholds["upazila"],
		})
	}

	seen := map[string]bool{}
	for _, u := range units {
		if !codeRE.MatchString(u.code) {
			return nil, fmt.Errorf("generated code %q is not a valid unit code", u.code)
		}
		if seen[u.code] {
			return nil, fmt.Errorf("generated code %q twice", u.code)
		}
		seen[u.code] = true
	}
	if len(units) != wantUnits {
		return nil, fmt.Errorf("generated %d units, want %d", len(units), wantUnits)
	}
	return units, nil
}

var (
	codeRE     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	nonSlugRE  = regexp.MustCompile(`[^a-z0-9]+`)
	apostrophe = strings.NewReplacer("'", "", "’", "")
)

func slug(s string) string {
	return strings.Trim(nonSlugRE.ReplaceAllString(apostrophe.Replace(strings.ToLower(s)), "-"), "-")
}

// readPlaces reads a bd-geocode file: id, [parent id,] English name, Bengali name, ...
func readPlaces(path string, hasParent bool) ([]place, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geocode data: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var out []place
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		p := place{id: rec[0]}
		i := 1
		if hasParent {
			p.parent = rec[1]
			i = 2
		}
		if len(rec) < i+2 {
			return nil, fmt.Errorf("%s: short record %v", path, rec)
		}
		p.en, p.bn = strings.TrimSpace(rec[i]), strings.TrimSpace(rec[i+1])
		if fixed, ok := spellingFixes[p.en]; ok {
			p.en = fixed
		}
		out = append(out, p)
	}
}
