package mongostore_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/links"
)

// The domain's types carry no storage names: the store's database refuses
// them both ways, so a forgotten conversion fails loudly instead of storing
// Go's field names or reading back an empty value.
func TestTheDatabaseRefusesDomainTypes(t *testing.T) {
	ctx := context.Background()
	col := store.Database().Collection("guard")
	if _, err := col.InsertOne(ctx, &links.Link{Slug: "guard", Unit: "dmch"}); err == nil || !strings.Contains(err.Error(), "storage model") {
		t.Fatalf("insert of a domain value: %v", err)
	}
	if _, err := col.InsertOne(ctx, bson.D{{Key: "_id", Value: "guard"}, {Key: "unit", Value: "dmch"}}); err != nil {
		t.Fatal(err)
	}
	var l links.Link
	if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: "guard"}}).Decode(&l); err == nil || !strings.Contains(err.Error(), "storage model") {
		t.Fatalf("decode into a domain value: %v (%+v)", err, l)
	}
}
