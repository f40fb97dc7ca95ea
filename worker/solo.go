package worker

import (
	"context"
	"slices"
	"sort"

	"github.com/gonnect/gonnect/worker/entities"
)

// Solo is the membership of a standalone worker: a group of one that
// always leads and is assigned every connector and task.
type Solo struct {
	url     string
	handler AssignmentHandler
	rejoin  chan struct{}
	gen     int32
}

// NewSolo returns a standalone membership advertising url.
func NewSolo(url string) *Solo {
	return &Solo{url: url, rejoin: make(chan struct{}, 1)}
}

// SetHandler binds the herder; call before Run.
func (s *Solo) SetHandler(h AssignmentHandler) { s.handler = h }

// Run assigns everything at start and after every rejoin request.
func (s *Solo) Run(ctx context.Context) error {
	s.RequestRejoin()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.rejoin:
			s.gen++
			snap := s.handler.Snapshot()
			a := Assignment{LeaderURL: s.url, ConfigOffset: snap.Offset, Generation: s.gen, Full: true}
			for n := range snap.Connectors {
				a.Connectors = append(a.Connectors, n)
				a.Tasks = append(a.Tasks, snap.TaskIDs(n)...)
			}
			sort.Strings(a.Connectors)
			slices.SortFunc(a.Tasks, func(x, y entities.TaskID) int {
				if x.Connector != y.Connector {
					if x.Connector < y.Connector {
						return -1
					}
					return 1
				}
				return x.Task - y.Task
			})
			s.handler.OnAssigned(ctx, a)
		}
	}
}

// RequestRejoin implements Membership.
func (s *Solo) RequestRejoin() {
	select {
	case s.rejoin <- struct{}{}:
	default:
	}
}

// Leader implements Membership.
func (s *Solo) Leader() (string, bool) { return s.url, true }
