package apiclient_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/unitwire"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
	"github.com/kalyan-platform/kalyan/operator/internal/onboard"
)

// The unit's contract is written once (internal/unitwire); these tests hold
// the other places that state it to it: the HospitalUnit CRD, the API (its
// decoding into units.Unit and its answer), the OpenAPI document and the
// onboarding CSV.

// kubernetesOnly are the CRD spec fields that never reach the API as such,
// and why.
var kubernetesOnly = map[string]string{
	"code":           "the registration's URL path, /api/v1/admin/units/{code}",
	"bkashSecretRef": "names a Secret; its contents travel as the registration's bkash member",
	"quota":          "the unit namespace's ResourceQuota",
	"adminGroup":     "the group bound to the unit namespace's admin Role",
}

func int32p(v int32) *int32 { return &v }

// fullSpec sets every field of the spec (TestFullSpecIsFull keeps it so),
// each amount in the API's canonical form so that it comes back unchanged.
func fullSpec() kalyanv1alpha1.HospitalUnitSpec {
	return kalyanv1alpha1.HospitalUnitSpec{
		Code:     "uhc-contract",
		Names:    kalyanv1alpha1.Names{EN: "Contract Upazila Health Complex", BN: "চুক্তি উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level:    kalyanv1alpha1.LevelUpazila,
		Division: "Chattagram", District: "Cumilla", Upazila: "Debidwar",
		BKashSecretRef: &kalyanv1alpha1.SecretReference{Name: "bkash", Namespace: "kalyan-uhc-contract"},
		Policy: kalyanv1alpha1.Policy{
			ApprovalThreshold: "12500.50",
			Programmes:        []kalyanv1alpha1.Programme{"cancer", "thalassaemia"},
			AllocationOrder:   []kalyanv1alpha1.AllocationSource{"zakat", "programme", "general"},
			MinDonation:       "20.00",
			MaxDonation:       "300000.00",
			Checkers:          []kalyanv1alpha1.Subject{"member-secretary", "sw-2"},
			WindowDays:        int32p(120),
			CommitteeQuorum:   int32p(3),
			CommitteeSize:     int32p(5),
		},
		Contact:    &kalyanv1alpha1.Contact{Office: "Room 12, ground floor", Phone: "+880 2-55165088", Email: "rss@uhc-contract.example"},
		Quota:      kalyanv1alpha1.Quota{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("4")}},
		AdminGroup: "kalyan:unit-admins:uhc-contract",
	}
}

func TestFullSpecIsFull(t *testing.T) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		if v.IsZero() {
			t.Errorf("fullSpec leaves %s unset: set it, and map it to the wire (or to kubernetesOnly)", path)
			return
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct || v.Type() == reflect.TypeFor[kalyanv1alpha1.Quota]() {
			return
		}
		for i := range v.NumField() {
			walk(v.Field(i), path+"."+jsonName(v.Type().Field(i)))
		}
	}
	walk(reflect.ValueOf(fullSpec()), "spec")
}

// TestEveryCRDFieldIsOnTheWire: each spec field has a registration field of
// the same JSON name (or is Kubernetes' own), and the registration has no
// field the CRD cannot set.
func TestEveryCRDFieldIsOnTheWire(t *testing.T) {
	spec := jsonPaths(reflect.TypeFor[kalyanv1alpha1.HospitalUnitSpec](), "", reflect.TypeFor[kalyanv1alpha1.SecretReference](), reflect.TypeFor[kalyanv1alpha1.Quota](), reflect.TypeFor[kalyanv1alpha1.Contact]())
	wire := jsonPaths(reflect.TypeFor[unitwire.Registration](), "")
	for _, p := range spec {
		if _, ok := kubernetesOnly[p]; !ok && !slices.Contains(wire, p) {
			t.Errorf("CRD spec.%s has no field in unitwire.Registration", p)
		}
	}
	fromCRD := map[string]bool{"bkash": true, "signingKey": true} // the Secret's contents, the operator's key
	for _, p := range wire {
		if !fromCRD[p] && !slices.Contains(spec, p) {
			t.Errorf("unitwire.Registration's %s is not in the CRD spec", p)
		}
	}
}

// TestTheWireIsTheOpenAPIDocument: the registration, the unit and the
// merchant have exactly the OpenAPI document's properties.
func TestTheWireIsTheOpenAPIDocument(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "httpapi", "openapi", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	regSchema := schemas["UnitRegistration"].(map[string]any)
	var merchant map[string]any
	for _, alt := range regSchema["properties"].(map[string]any)["bkash"].(map[string]any)["oneOf"].([]any) {
		if m := alt.(map[string]any); m["type"] == "object" {
			merchant = m
		}
	}
	for _, c := range []struct {
		name   string
		wire   reflect.Type
		schema map[string]any
	}{
		{"UnitRegistration", reflect.TypeFor[unitwire.Registration](), regSchema},
		{"Unit", reflect.TypeFor[unitwire.Unit](), schemas["Unit"].(map[string]any)},
		{"UnitRegistration.bkash", reflect.TypeFor[unitwire.Merchant](), merchant},
	} {
		wire, api := jsonPaths(c.wire, ""), schemaPaths(t, schemas, c.schema, "")
		sort.Strings(api)
		if !slices.Equal(wire, api) {
			t.Errorf("%s: the wire has %v, the OpenAPI document %v", c.name, wire, api)
		}
	}
}

// TestEveryCSVColumnReachesTheSpec: a row with every column onboards to a
// HospitalUnit holding each cell where the table says, and the table names
// every column the dataset may have.
func TestEveryCSVColumnReachesTheSpec(t *testing.T) {
	cells := map[string]struct{ value, path string }{
		"code": {"uhc-contract", "code"}, "name_en": {"Contract UHC", "names.en"}, "name_bn": {"চুক্তি", "names.bn"},
		"level": {"upazila", "level"}, "division": {"Chattagram", "division"}, "district": {"Cumilla", "district"},
		"upazila": {"Debidwar", "upazila"}, "programmes": {"cancer;burn", "policy.programmes"},
		"approval_threshold": {"12500.50", "policy.approvalThreshold"}, "min_donation": {"20.00", "policy.minDonation"},
		"max_donation": {"300000.00", "policy.maxDonation"}, "bkash_secret": {"bkash", "bkashSecretRef.name"},
		"checkers": {"member-secretary;sw-2", "policy.checkers"}, "window_days": {"120", "policy.windowDays"},
		"committee_quorum": {"3", "policy.committeeQuorum"}, "committee_size": {"5", "policy.committeeSize"},
	}
	cols := onboard.Columns()
	var row []string
	for _, c := range cols {
		cell, ok := cells[c]
		if !ok {
			t.Fatalf("CSV column %s is not in this test's table: say where it lands in the spec", c)
		}
		row = append(row, cell.value)
	}
	if len(cells) != len(cols) {
		t.Fatalf("the table names %d columns, the dataset has %d", len(cells), len(cols))
	}
	us, err := onboard.ParseCSV(strings.NewReader(strings.Join(cols, ",") + "\n" + strings.Join(row, ",") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := us[0].Unstructured().Object["spec"].(map[string]any)
	specPaths := jsonPaths(reflect.TypeFor[kalyanv1alpha1.HospitalUnitSpec](), "", reflect.TypeFor[kalyanv1alpha1.Quota]())
	for _, c := range cols {
		cell := cells[c]
		if !slices.Contains(specPaths, cell.path) {
			t.Errorf("column %s: %s is not a field of the CRD spec", c, cell.path)
		}
		var got any = spec
		for _, k := range strings.Split(cell.path, ".") {
			m, _ := got.(map[string]any)
			got = m[k]
		}
		if s := cellString(got); s != cell.value {
			t.Errorf("column %s = %q lands in spec.%s as %q", c, cell.value, cell.path, s)
		}
	}
}

// TestRoundTripThroughTheAPI: a fully populated HospitalUnit's registration
// goes to the real API, which stores it as a units.Unit; the API's answer and
// that stored unit, put back on the wire, equal what the operator sent.
func TestRoundTripThroughTheAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := devstack.Start(ctx, devstack.Options{Dir: filepath.Join(dir, "stack"), NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	tok, err := st.Token("platform_admin", "", "kalyan-operator")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := apiclient.New(st.APIURL(), tokenFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &unitwire.Merchant{Username: "contract-merchant", Password: "pw", AppKey: "contract-app-key", AppSecret: "contract-app-secret"}
	if err := st.Sandbox.SetMerchant(bkashsandbox.Credentials{Username: m.Username, Password: m.Password, AppKey: m.AppKey, AppSecret: m.AppSecret}); err != nil {
		t.Fatal(err)
	}
	spec := fullSpec()
	reg := apiclient.RegistrationFor(spec, m, make([]byte, 32))
	answer, created, err := c.RegisterUnit(ctx, spec.Code, reg)
	if err != nil || !created {
		t.Fatalf("register: created=%v %v", created, err)
	}
	stored, err := st.Store.Units().Get(ctx, spec.Code)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Merchant == nil || stored.Merchant.ID != m.Username {
		t.Errorf("stored merchant %+v, want %s", stored.Merchant, m.Username)
	}
	want := asUnit(t, spec.Code, reg)
	back := unitwire.AdminUnit(stored, answer.DonationURL)
	for name, got := range map[string]unitwire.Unit{"the API's answer": answer, "the stored unit": back} {
		got.Status, got.DonationURL = "", "" // the registry's and the API's, not the spec's
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs from what was sent:\n got %s\nwant %s", name, js(got), js(want))
		}
	}
	if answer.Status != "active" || !strings.HasSuffix(answer.DonationURL, "/d/"+spec.Code) {
		t.Errorf("answer: status %q, donationURL %q", answer.Status, answer.DonationURL)
	}
}

// asUnit is the unit a registration describes, as the admin answer shows it.
func asUnit(t *testing.T, code string, r unitwire.Registration) unitwire.Unit {
	t.Helper()
	u := unitwire.Unit{Code: code, Names: r.Names, Level: r.Level, Division: r.Division, District: r.District,
		Upazila: r.Upazila, Policy: r.Policy}
	if r.Contact != nil {
		u.Contact = new(units.Contact)
		if err := json.Unmarshal(r.Contact, u.Contact); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func cellString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = cellString(p)
		}
		return strings.Join(parts, ";")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// jsonPaths lists the dotted JSON names of t's fields, into nested structs
// except those of the types given as leaves, sorted.
func jsonPaths(t reflect.Type, prefix string, leaves ...reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		p := prefix + jsonName(f)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !slices.Contains(leaves, ft) {
			out = append(out, jsonPaths(ft, p+".", leaves...)...)
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// schemaPaths lists the dotted property names of an OpenAPI schema, into
// nested object schemas ($ref resolved) but not into oneOf alternatives.
func schemaPaths(t *testing.T, schemas, s map[string]any, prefix string) []string {
	t.Helper()
	var out []string
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		ps := p.(map[string]any)
		if ref, ok := ps["$ref"].(string); ok {
			ps = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		if _, nested := ps["properties"]; nested && ps["type"] == "object" {
			out = append(out, schemaPaths(t, schemas, ps, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}
