package httpapi

import (
	"strings"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// field is one labelled text input, rendered by the "input" template with
// its hint and error wired to aria-describedby and aria-invalid.
type field struct {
	ID, Name, Type, InputMode, Autocomplete string
	Label, Hint, Err, Value                 string
	Required                                bool
}

// Describe lists the ids of the hint and error that describe the input.
func (f field) Describe() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Err != "" {
		ids = append(ids, f.ID+"-err")
	}
	return strings.Join(ids, " ")
}

// choice is one radio button or select option.
type choice struct {
	Value, Label, Hint string
	Checked            bool
}

// formErrors collects field errors in page order for the summary.
type formErrors struct {
	list []fieldError
	by   map[string]string
}

// add records msg for the input with id (the summary links to #id).
func (e *formErrors) add(id, msg string) {
	if e.by == nil {
		e.by = map[string]string{}
	}
	if _, dup := e.by[id]; dup {
		return
	}
	e.by[id] = msg
	e.list = append(e.list, fieldError{ID: id, Msg: msg})
}

func (e *formErrors) get(id string) string { return e.by[id] }

// textMessage is the page's message for a field error: what freetext
// refused, said in the reader's language ("text.err.<code>"), or the
// field's own message under key. Emptiness and length keep the field's
// message, which says what the field wants.
func textMessage(l i18n.Lang, f validation.FieldError, key string) string {
	switch f.Code {
	case "", freetext.CodeEmpty, freetext.CodeTooLong:
		return l.T(key)
	}
	return l.T("text.err." + f.Code)
}
