package domain

import (
	"fmt"
	"strings"
)

// KindLibrary is one library item that Department staff added beside the
// shipped catalog; id = the item's id, such as "regional-network-calendar".
const KindLibrary = "library"

// Event types of the library aggregate.
const (
	TypeLibraryItemAdded   = "library.item_added"
	TypeLibraryItemRevised = "library.item_revised"
	TypeLibraryItemRetired = "library.item_retired"
)

func init() { RegisterKind(KindLibrary, func() State { return &LocalItem{} }) }

// Event payloads of the library aggregate.
type (
	LibraryItemAdded struct {
		Item LibraryItem `json:"item"`
	}
	LibraryItemRevised struct {
		Item LibraryItem `json:"item"`
	}
	LibraryItemRetired struct {
		Reason string `json:"reason,omitempty"`
	}
)

// LocalItem is the folded state of one locally added library item.
type LocalItem struct {
	Item          LibraryItem `json:"item"`
	Retired       bool        `json:"retired"`
	RetiredReason string      `json:"retired_reason,omitempty"`
}

// Apply folds one library event.
func (l *LocalItem) Apply(e Event) error {
	switch e.Type {
	case TypeLibraryItemAdded:
		var c LibraryItemAdded
		if err := e.Decode(&c); err != nil {
			return err
		}
		*l = LocalItem{Item: c.Item}
	case TypeLibraryItemRevised:
		var c LibraryItemRevised
		if err := e.Decode(&c); err != nil {
			return err
		}
		l.Item = c.Item
	case TypeLibraryItemRetired:
		var c LibraryItemRetired
		if err := e.Decode(&c); err != nil {
			return err
		}
		l.Retired, l.RetiredReason = true, c.Reason
	default:
		return fmt.Errorf("apply library event %s: unknown type %q", e.ID, e.Type)
	}
	return nil
}

// prepareLocalItem sets the fields a local item cannot choose: its origin,
// and verified false, because planledger has not checked its sources.
func prepareLocalItem(item LibraryItem, version int) (LibraryItem, error) {
	item.Origin = OriginLocal
	item.Verified = false
	item.Version = version
	item.Title = strings.TrimSpace(item.Title)
	if err := ValidateLibraryItem(item); err != nil {
		return LibraryItem{}, err
	}
	return item, nil
}

// DecideAddLibraryItem adds a local item. Its id must not be a catalog
// item's, so one id always means one item.
func DecideAddLibraryItem(existing State, item LibraryItem, catalog *Library) (Draft, error) {
	if _, ok := catalog.Item(item.ID); ok {
		return Draft{}, Errorf(EConflict, "id", "%s is a catalog item's id; choose another id", item.ID)
	}
	if existing != nil {
		return Draft{}, Errorf(EConflict, "id", "library item %s already exists; revise it with PUT /v1/assistance/library/%s", item.ID, item.ID)
	}
	item, err := prepareLocalItem(item, 1)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeLibraryItemAdded, Payload: LibraryItemAdded{Item: item}}, nil
}

// DecideReviseLibraryItem replaces a local item as a whole and raises its
// version.
func DecideReviseLibraryItem(existing State, item LibraryItem) (Draft, error) {
	current, err := liveLocalItem(existing, item.ID)
	if err != nil {
		return Draft{}, err
	}
	item, err = prepareLocalItem(item, current.Item.Version+1)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeLibraryItemRevised, Payload: LibraryItemRevised{Item: item}}, nil
}

// DecideRetireLibraryItem withdraws a local item from the library list.
// Surveys already issued from it keep their copied questions.
func DecideRetireLibraryItem(existing State, id, reason string) (Draft, error) {
	if _, err := liveLocalItem(existing, id); err != nil {
		return Draft{}, err
	}
	return Draft{Type: TypeLibraryItemRetired, Payload: LibraryItemRetired{Reason: strings.TrimSpace(reason)}}, nil
}

func liveLocalItem(existing State, id string) (*LocalItem, error) {
	current, ok := existing.(*LocalItem)
	if !ok || current == nil {
		return nil, Errorf(ENotFound, "id", "no local library item %s; catalog items cannot be changed through the API", id)
	}
	if current.Retired {
		return nil, Errorf(EConflict, "id", "library item %s is retired", id)
	}
	return current, nil
}
