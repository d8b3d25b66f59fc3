package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxPreamble is how many records may precede the header row. DESE report
// downloads sometimes start with a title line above the column names.
const maxPreamble = 10

// DataError is an invalid value in an input file, located by line and
// column so the user can fix the file.
type DataError struct {
	File   string
	Line   int    // 1-based line of the field in the file
	Column int    // 1-based field of a CSV row or byte of a JSON line, 0 for the whole row
	Header string // the column's name in the header row, when known
	Err    error
}

func (e *DataError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: line %d", e.File, e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ", column %d", e.Column)
		if e.Header != "" {
			fmt.Fprintf(&b, " (%s)", e.Header)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *DataError) Unwrap() error { return e.Err }

// table reads a CSV file row by row and finds columns by header name, so
// files with extra, missing or reordered columns still parse.
type table struct {
	file   string
	csv    *csv.Reader
	header []string
	index  map[string]int // normalized header name -> field index
	row    []string
}

// normalizeHeader folds case, spaces and a byte-order mark, so "School Code"
// matches "school  code".
func normalizeHeader(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	return strings.ToLower(strings.Join(strings.Fields(h), " "))
}

// openTable reads records until one contains the header named key, and
// returns the table positioned on the first data row.
func openTable(r io.Reader, file, key string) (*table, error) {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1 // title lines above the header have fewer fields
	// Callers keep strings out of a row, never the row slice itself.
	c.ReuseRecord = true
	t := &table{file: file, csv: c}
	for i := 0; i < maxPreamble; i++ {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		t.index = map[string]int{}
		for j, h := range rec {
			name := normalizeHeader(h)
			if _, dup := t.index[name]; !dup {
				t.index[name] = j
			}
		}
		if _, ok := t.index[normalizeHeader(key)]; ok {
			t.header = append([]string(nil), rec...)
			for j := range t.header {
				t.header[j] = strings.TrimSpace(strings.TrimPrefix(t.header[j], "\ufeff"))
			}
			return t, nil
		}
	}
	return nil, fmt.Errorf("read %s: no header row with a %q column in the first %d lines: check that this is the right file",
		file, key, maxPreamble)
}

// column returns the field index of the first of names present in the
// header, or -1.
func (t *table) column(names ...string) int {
	for _, n := range names {
		if i, ok := t.index[normalizeHeader(n)]; ok {
			return i
		}
	}
	return -1
}

// requireColumn is column with an error naming the missing column.
func (t *table) requireColumn(names ...string) (int, error) {
	if i := t.column(names...); i >= 0 {
		return i, nil
	}
	return -1, fmt.Errorf("read %s: the header has no %q column; found %s",
		t.file, names[0], strings.Join(t.header, ", "))
}

// next advances to the next data row. It returns false at the end of the
// file. A row with fewer fields than needed is an error naming its line.
func (t *table) next(needed int) (bool, error) {
	rec, err := t.csv.Read()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", t.file, err)
	}
	t.row = rec
	if len(rec) < needed {
		return false, t.rowError("the row has %d fields but the header has %d: check for a missing comma or an unquoted comma in a value",
			len(rec), len(t.header))
	}
	return true, nil
}

// line returns the file line of the current row's first field.
func (t *table) line() int {
	line, _ := t.csv.FieldPos(0)
	return line
}

// value returns a trimmed field of the current row, or "" for a column the
// file does not have.
func (t *table) value(i int) string {
	if i < 0 || i >= len(t.row) {
		return ""
	}
	return strings.TrimSpace(t.row[i])
}

// fieldError builds a DataError for field i of the current row.
func (t *table) fieldError(i int, format string, args ...any) *DataError {
	line, _ := t.csv.FieldPos(i)
	header := ""
	if i < len(t.header) {
		header = t.header[i]
	}
	return &DataError{File: t.file, Line: line, Column: i + 1, Header: header, Err: fmt.Errorf(format, args...)}
}

// rowError builds a DataError for the current row as a whole.
func (t *table) rowError(format string, args ...any) *DataError {
	return &DataError{File: t.file, Line: t.line(), Err: fmt.Errorf(format, args...)}
}

// count parses a non-negative whole number such as "     115" or
// "   1,426". An empty field is zero, because DESE leaves every grade blank
// in the row of a school that reported no enrollment.
func (t *table) count(i int) (int, error) {
	raw := t.value(i)
	if n, ok := digitsAndCommas(raw); ok {
		return n, nil
	}
	s := strings.ReplaceAll(raw, ",", "")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, t.fieldError(i, "invalid count %q: want a whole number such as 745 or \"1,426\"", raw)
	}
	return n, nil
}

// digitsAndCommas parses the common form of a count, digits with optional
// commas, without allocating. ok is false for anything else, including
// numbers too long to be sure they fit an int, so count's slower path
// decides.
func digitsAndCommas(s string) (n int, ok bool) {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',':
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			digits++
		default:
			return 0, false
		}
	}
	return n, digits > 0 && digits <= 18
}
