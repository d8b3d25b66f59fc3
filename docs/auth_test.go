package docs_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/planledger/planledger/domain"
)

// tableRows returns the cells of the markdown table rows in the section of
// doc under heading whose first cell is a code span, keyed by that span.
func tableRows(t *testing.T, doc, heading string) map[string][]string {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("auth.md has no %q section", heading)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		rows[strings.Trim(cells[0], "`")] = cells[1:]
	}
	return rows
}

// codeSpans returns the `code` spans in a table cell.
func codeSpans(cell string) []string {
	var out []string
	for i, part := range strings.Split(cell, "`") {
		if i%2 == 1 {
			out = append(out, part)
		}
	}
	return out
}

// TestAuthDocMatchesRoles checks docs/auth.md's role and permission tables
// against domain/roles.go, so the two cannot drift.
func TestAuthDocMatchesRoles(t *testing.T) {
	raw, err := os.ReadFile("auth.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)

	permissions := tableRows(t, doc, "## Permissions")
	for _, perm := range domain.Permissions {
		row, ok := permissions[string(perm)]
		if !ok {
			t.Errorf("auth.md lists no permission %s", perm)
			continue
		}
		var want []string
		for _, r := range domain.RolesAllowed(perm) {
			want = append(want, string(r))
		}
		got := codeSpans(row[len(row)-1])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("auth.md gives %s to %v, domain to %v", perm, got, want)
		}
	}
	if len(permissions) != len(domain.Permissions) {
		t.Errorf("auth.md lists %d permissions, domain has %d", len(permissions), len(domain.Permissions))
	}

	roles := tableRows(t, doc, "## Roles")
	for _, r := range domain.Roles {
		row, ok := roles[string(r)]
		if !ok {
			t.Errorf("auth.md lists no role %s", r)
			continue
		}
		want := string(domain.ScopeOf(r))
		if want == string(domain.ScopeAll) {
			want = "none"
		}
		if got := strings.Trim(row[0], "` "); got != want {
			t.Errorf("auth.md gives role %s org %q, want %q", r, got, want)
		}
	}
	if len(roles) != len(domain.Roles) {
		t.Errorf("auth.md lists %d roles, domain has %d", len(roles), len(domain.Roles))
	}
}
