package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File appends every message as one JSON line to a file: the embedded
// default's outbox, which a developer reads instead of a phone. It holds
// full numbers and addresses, so it lives in the data directory (0600),
// never in the logs.
type File struct {
	Path    string
	Channel Channel
	Now     func() time.Time

	mu *sync.Mutex
}

// FileLine is one line of the file.
type FileLine struct {
	At      time.Time `json:"at"`
	Channel Channel   `json:"channel"`
	Ref     string    `json:"ref"`
	Kind    string    `json:"kind"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text"`
}

// NewFile returns sinks for SMS and e-mail writing to the same file.
func NewFile(path string, now func() time.Time) (sms, email *File) {
	mu := &sync.Mutex{}
	return &File{Path: path, Channel: SMS, Now: now, mu: mu}, &File{Path: path, Channel: Email, Now: now, mu: mu}
}

// Send implements Notifier.
func (f *File) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	line, err := json.Marshal(FileLine{At: f.Now().UTC(), Channel: f.Channel, Ref: m.Ref, Kind: m.Kind, To: m.To, Subject: m.Subject, Text: m.Text})
	if err != nil {
		return fmt.Errorf("notification file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("notification file: %w", err)
	}
	// Opened per message: O_APPEND writes of one line are whole, and there is
	// no handle to leak or close at shutdown.
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("notification file: %w", err)
	}
	_, werr := fh.Write(append(line, '\n'))
	if cerr := fh.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("notification file: %w", werr)
	}
	return nil
}
