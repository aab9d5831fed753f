package events

// PoisonError marks an event that can never be processed (malformed); the
// worker dead-letters it instead of retrying. It lives with the envelope so
// the use cases that raise it and the bus that acts on it share it without
// depending on each other.
type PoisonError struct{ Err error }

func (e PoisonError) Error() string { return "poison event: " + e.Err.Error() }
func (e PoisonError) Unwrap() error { return e.Err }

// Pending is one outbox entry awaiting publication: the events a state
// change wrote beside it. DocID and Col are the store's reference to the
// entry; the relay hands them back unread to mark it published.
type Pending struct {
	DocID  string
	Col    string
	Topic  string
	Unit   string
	Events []Envelope
}
