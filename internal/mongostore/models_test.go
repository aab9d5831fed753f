package mongostore

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// storedModel is one kind of document the store writes: the domain value,
// the document written for it, and the domain value read back from a
// stored document.
type storedModel struct {
	name   string
	value  any
	full   bool // every field of value is set
	encode func() any
	decode func(raw bson.Raw) (any, error)
}

func decodeAs[D any](conv func(D) any) func(bson.Raw) (any, error) {
	return func(raw bson.Raw) (any, error) {
		var d D
		if err := bson.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		return conv(d), nil
	}
}

func storedModels() []storedModel {
	unitFull, unitMin := fixtureUnitFull(), fixtureUnitMinimal()
	donFull, donMin := fixtureDonationFull(), fixtureDonationMinimal()
	aidFull, aidMin := fixtureAidFull(), fixtureAidMinimal()
	win, claim := fixtureWindowEntry(), fixtureGrantClaim()
	tx, txMin, cp, ga := fixtureTransaction(), fixtureTransactionMinimal(), fixtureCheckpoint(), fixtureGrantAllocation()
	rc, rcMin, note := fixtureReceipt(), fixtureReceiptMinimal(), fixtureNote()
	linkFull, linkMin := fixtureLinkFull(), fixtureLinkMinimal()
	key, merchant := fixtureUnitKey(), fixtureMerchant()

	unit := func(u units.Unit) storedModel {
		return storedModel{value: u, encode: func() any { return toUnitDoc(&u) },
			decode: decodeAs(func(d unitDoc) any { return d.unit() })}
	}
	donation := func(d donations.Donation) storedModel {
		return storedModel{value: d, encode: func() any { return (&Donations{}).versionDoc(&d) },
			decode: decodeAs(func(v donationVersion) any { return v.Donation.donation() })}
	}
	aidVer := func(q aid.Request) storedModel {
		return storedModel{value: q, encode: func() any { return newAidVersion(&q) },
			decode: decodeAs(func(v aidVersion) any { return v.Request.request() })}
	}
	ledgerEntry := func(t ledger.Transaction) storedModel {
		return storedModel{value: t, encode: func() any { return ledgerDoc{Key: ledgerKey(t.Unit, t.Seq), Transaction: toTransactionDoc(&t)} },
			decode: decodeAs(func(d ledgerDoc) any { return d.Transaction.transaction() })}
	}
	receipt := func(r receipts.Receipt) storedModel {
		return storedModel{value: r, encode: func() any { return newReceiptDoc(&r) },
			decode: decodeAs(func(d receiptDoc) any { return d.receipt() })}
	}
	link := func(l links.Link) storedModel {
		return storedModel{value: l, encode: func() any { return linkDoc(l) },
			decode: decodeAs(func(d linkDoc) any { return links.Link(d) })}
	}
	named := func(name string, full bool, m storedModel) storedModel { m.name, m.full = name, full; return m }
	return []storedModel{
		named("unit_full", true, unit(unitFull)),
		named("unit_minimal", false, unit(unitMin)),
		named("donation_version_full", true, donation(donFull)),
		named("donation_version_minimal", false, donation(donMin)),
		named("aid_version_full", true, aidVer(aidFull)),
		named("aid_version_minimal", false, aidVer(aidMin)),
		named("aid_window_entry", true, storedModel{value: win, encode: func() any {
			return windowDoc{DocID: win.Key + "#2", Entry: windowEntryDoc(win)}
		}, decode: decodeAs(func(d windowDoc) any { return aid.WindowEntry(d.Entry) })}),
		named("grant_claim", true, storedModel{value: claim, encode: func() any { return grantClaimDoc(claim) },
			decode: decodeAs(func(d grantClaimDoc) any { return aid.GrantClaim(d) })}),
		named("ledger_entry_full", true, ledgerEntry(tx)),
		named("ledger_entry_minimal", false, ledgerEntry(txMin)),
		named("ledger_checkpoint", true, storedModel{value: cp, encode: func() any {
			return newCheckpointDoc(cp)
		}, decode: decodeAs(func(d checkpointDoc) any { return d.Checkpoint.checkpoint() })}),
		named("grant_allocation", true, storedModel{value: ga, encode: func() any { return grantAllocationDoc(ga) },
			decode: decodeAs(func(d grantAllocationDoc) any { return ledger.GrantAllocation(d) })}),
		named("receipt_full", true, receipt(rc)),
		named("receipt_minimal", false, receipt(rcMin)),
		named("receipt_note", true, storedModel{value: note, encode: func() any { return noteDoc(note) },
			decode: decodeAs(func(d noteDoc) any { return receipts.Note(d) })}),
		named("link_full", true, link(linkFull)),
		named("link_minimal", false, link(linkMin)),
		named("unit_key", true, storedModel{value: key, encode: func() any { return unitKeyDoc{ID: key.Ref(), Key: unitKeyFields(key)} },
			decode: decodeAs(func(d unitKeyDoc) any { return signing.UnitKey(d.Key) })}),
		named("bkash_merchant", true, storedModel{value: merchant, encode: func() any { return sealedMerchantDoc(merchant) },
			decode: decodeAs(func(d sealedMerchantDoc) any { return signing.SealedMerchant(d) })}),
	}
}

// TestStoredDocumentsKeepTheirBytes pins the bytes of every stored model to
// testdata/stored/<name>.json (canonical Extended JSON, which keeps every
// BSON type): the documents the domain types' bson tags wrote before the
// storage models moved into this package (issue 16). Data already stored
// must read back the same, and new writes must look like the old ones, so
// these files are never regenerated: a difference is a migration, not a
// test to update. KALYAN_WRITE_STORED=1 writes only files that are missing.
func TestStoredDocumentsKeepTheirBytes(t *testing.T) {
	for _, m := range storedModels() {
		t.Run(m.name, func(t *testing.T) {
			got, err := bson.Marshal(m.encode())
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			path := filepath.Join("testdata", "stored", m.name+".json")
			golden, err := os.ReadFile(path)
			if os.IsNotExist(err) && os.Getenv("KALYAN_WRITE_STORED") == "1" {
				golden = extJSON(t, got)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, golden, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatalf("read golden: %v", err)
			}
			var want bson.Raw
			if err := bson.UnmarshalExtJSON(golden, true, &want); err != nil {
				t.Fatalf("golden %s: %v", path, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the stored form changed:\n got %s\nwant %s", extJSON(t, got), golden)
			}
			back, err := m.decode(want)
			if err != nil {
				t.Fatalf("decode the stored form: %v", err)
			}
			if !reflect.DeepEqual(back, m.value) {
				t.Errorf("the stored form reads back as\n%#v\nwant\n%#v", back, m.value)
			}
			if m.full {
				for _, f := range zeroFields(reflect.ValueOf(m.value), reflect.TypeOf(m.value).Name()) {
					t.Errorf("full fixture leaves %s unset", f)
				}
			}
		})
	}
}

func extJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	out, err := bson.MarshalExtJSON(bson.Raw(raw), true, false)
	if err != nil {
		t.Fatalf("extended JSON: %v", err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	return append(buf.Bytes(), '\n')
}

// zeroFields lists the exported fields of v (recursively, through pointers,
// structs and the first element of slices) that are zero. Fields whose zero
// value is meaningful (an index 0, a false flag) count as set only when
// non-zero too: the full fixtures set them all.
func zeroFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	case reflect.Struct:
		if v.Type().PkgPath() == "time" {
			if v.IsZero() {
				return []string{path}
			}
			return nil
		}
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			out = append(out, zeroFields(v.Field(i), path+"."+f.Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		return zeroFields(v.Index(0), path+"[0]")
	case reflect.Map:
		if v.Len() == 0 {
			return []string{path}
		}
		return nil
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}
