package webkit

import (
	"strings"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Field is one labelled text input, rendered by the "input" template with
// its hint and error wired to aria-describedby and aria-invalid.
type Field struct {
	ID, Name, Type, InputMode, Autocomplete string
	Label, Hint, Err, Value                 string
	Required                                bool
}

// Describe lists the ids of the hint and error that describe the input.
func (f Field) Describe() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Err != "" {
		ids = append(ids, f.ID+"-err")
	}
	return strings.Join(ids, " ")
}

// Choice is one radio button or select option.
type Choice struct {
	Value, Label, Hint string
	Checked            bool
}

// FormErrors collects field errors in page order for the summary.
type FormErrors struct {
	List []FieldError
	by   map[string]string
}

// Add records msg for the input with id (the summary links to #id).
func (e *FormErrors) Add(id, msg string) {
	if e.by == nil {
		e.by = map[string]string{}
	}
	if _, dup := e.by[id]; dup {
		return
	}
	e.by[id] = msg
	e.List = append(e.List, FieldError{ID: id, Msg: msg})
}

// Get is the message recorded for id.
func (e *FormErrors) Get(id string) string { return e.by[id] }

// TextMessage is the page's message for a field error: what freetext
// refused, said in the reader's language ("text.err.<code>"), or the
// field's own message under key. Emptiness and length keep the field's
// message, which says what the field wants.
func TextMessage(l i18n.Lang, f validation.FieldError, key string) string {
	switch f.Code {
	case "", freetext.CodeEmpty, freetext.CodeTooLong:
		return l.T(key)
	}
	return l.T("text.err." + f.Code)
}
