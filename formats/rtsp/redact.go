package rtsp

import (
	"errors"
	"net/url"
	"strings"
)

// Redact returns u with its password replaced by "xxxxx" and the values of
// query parameters that look like secrets (password, token, key, auth,
// signature...) replaced likewise, so that it can be printed. A string that
// does not parse as a URL is returned as "<unparsable url>": it might hold
// a secret in a form we cannot see.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparsable url>"
	}
	if p.User != nil {
		if _, has := p.User.Password(); has {
			p.User = url.UserPassword(p.User.Username(), "xxxxx")
		}
	}
	if p.RawQuery != "" {
		q := p.Query()
		changed := false
		for k, vs := range q {
			if secretKey(k) {
				for i := range vs {
					vs[i] = "xxxxx"
				}
				changed = true
			}
		}
		if changed {
			p.RawQuery = q.Encode()
		}
	}
	return p.String()
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "pwd", "token", "key", "secret", "auth", "sig", "cred"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// secrets lists the substrings of a URL that must never be printed: the
// password (raw and percent-encoded), secret query values, and the whole
// URL. The replacement for each is the redacted form.
func secrets(u string) *strings.Replacer {
	var pairs []string
	add := func(s, with string) {
		if s != "" {
			pairs = append(pairs, s, with)
		}
	}
	// Longest first: the whole URL, then its parts.
	add(u, Redact(u))
	if p, err := url.Parse(u); err == nil {
		if p.User != nil {
			if pw, has := p.User.Password(); has {
				add(p.User.String(), url.UserPassword(p.User.Username(), "xxxxx").String())
				add(url.QueryEscape(pw), "xxxxx")
				add(url.PathEscape(pw), "xxxxx")
				add(pw, "xxxxx")
			}
		}
		for k, vs := range p.Query() {
			if secretKey(k) {
				for _, v := range vs {
					add(url.QueryEscape(v), "xxxxx")
					add(v, "xxxxx")
				}
			}
		}
	} else {
		add(u, "<unparsable url>")
	}
	return strings.NewReplacer(pairs...)
}

// scrubbedError carries an error whose message has had the URL's secrets
// removed. It deliberately does not Unwrap (the chain's messages may hold
// the secrets) but answers errors.Is for the wrapped chain.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

// Is reports whether the wrapped chain matches target, without exposing it.
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }

// scrub returns err with every secret of the URL removed from its message.
func scrub(r *strings.Replacer, err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: r.Replace(err.Error()), err: err}
}
