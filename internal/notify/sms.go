package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTPSMS posts messages to a generic HTTP SMS gateway:
//
//	POST <URL>
//	Authorization: Bearer <Token>
//	Content-Type: application/json
//	{"to":"8801712345678","text":"…","sender":"<Sender>","reference":"<ref>"}
//
// Any 2xx is delivered; 4xx other than 408/429 is permanent (bad number,
// refused content); everything else is retried by the caller. Bangladeshi
// gateways (SSL Wireless, Banglalink, Robi) take this shape behind a small
// shim when their own differs.
type HTTPSMS struct {
	URL    string
	Token  string
	Sender string
	Client *http.Client
}

type smsRequest struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Sender    string `json:"sender,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// Send implements Notifier. Errors never include the number or the text.
func (s *HTTPSMS) Send(ctx context.Context, m Message) error {
	to := m.To
	if len(to) == 11 && to[0] == '0' {
		to = "88" + to // gateways want the international form without "+"
	}
	body, err := json.Marshal(smsRequest{To: to, Text: m.Text, Sender: s.Sender, Reference: m.Ref})
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusRequestTimeout && res.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("sms gateway answered %d: %w", res.StatusCode, ErrPermanent)
	default:
		return fmt.Errorf("sms gateway answered %d", res.StatusCode)
	}
}
