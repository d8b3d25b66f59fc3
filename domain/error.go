// Package domain holds planledger's aggregates, events, commands and the
// rules that decide whether a command may become an event. It imports no
// infrastructure: the event store, projections, HTTP layer and PDF renderer
// depend on it, never the other way round.
package domain

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps each to a status.
const (
	EConflict     = "conflict"     // a stale expected sequence or a duplicate create
	EInvalid      = "invalid"      // a command or query that breaks a rule
	ENotFound     = "not_found"    // an unknown org, plan, objective or goal
	EUnavailable  = "unavailable"  // the event store or a projection cannot serve yet
	EInternal     = "internal"     // anything else; details are logged, not shown
	EPrecondition = "precondition" // a change that does not state the version it edits
	ETooLarge     = "too_large"    // a request or event over a size limit
	// EUnauthenticated is a write without a valid sign-in token.
	EUnauthenticated = "unauthenticated"
	// EForbidden is a signed-in caller whose role or org does not allow the write.
	EForbidden = "forbidden"
)

// Error is an application error a caller can act on. Field names the input
// at fault as a JSON pointer-like path ("goals/0/measures"), when there is one.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EInternal when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ConflictError reports that an append expected a different last sequence
// than the aggregate has. Current is the sequence a retry should state.
type ConflictError struct {
	AggregateID string
	Expected    uint64
	Current     uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: %s is at sequence %d, the command expected %d",
		e.AggregateID, e.Current, e.Expected)
}
