package receipts

import "time"

// StatementPrint is the audit record of an annual statement printed at a
// unit's counter: who printed whose statement (the number masked), when,
// for which fiscal year. It holds no other personal data.
type StatementPrint struct {
	ID           string
	At           time.Time
	Staff, Role  string
	Unit         string // the staff member's unit ("" for a platform admin)
	MobileMasked string
	FiscalYear   string
	Rows         int
}
