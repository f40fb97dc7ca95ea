package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gonnect/gonnect/worker/metrics"
)

// Config configures a member.
type Config struct {
	Brokers   []string
	GroupID   string
	WorkerURL string // advertised URL with trailing slash
	// Protocol is the preferred protocol: sessioned, compatible or default;
	// the incremental ones also offer the older ones, as Connect does.
	Protocol          string
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	RebalanceTimeout  time.Duration
	// ScheduledRebalanceMaxDelay is how long the leader keeps the work of a
	// worker that disappeared without handing it over, waiting for it to
	// come back (Connect's scheduled.rebalance.max.delay.ms).
	ScheduledRebalanceMaxDelay time.Duration
	Logger                     *slog.Logger
	// ClientOpts are extra franz-go options (security settings).
	ClientOpts []kgo.Opt
	// Metrics receives connect-worker-rebalance-metrics; nil counts none.
	Metrics *metrics.Rebalance
}

// Result is one completed rebalance as this member sees it.
type Result struct {
	Assignment
	Generation int32
	MemberID   string
	Protocol   string
	IsLeader   bool
}

// Handler is the herder side of membership.
type Handler interface {
	// Snapshot is the config this member has read (its offset goes into
	// the metadata; the leader assigns from it).
	Snapshot() Snapshot
	// Owned is what this member runs now (for incremental protocols).
	Owned() Work
	// OnRevoked stops work before the rebalance completes (eager protocol:
	// everything, before joining).
	OnRevoked(ctx context.Context, w Work)
	// OnAssigned applies a rebalance's result.
	OnAssigned(ctx context.Context, r Result)
	// Released returns the part of w that its last owner stopped cleanly
	// (a graceful shutdown hands work over at once).
	Released(w Work) Work
}

// CatchingUp is a Handler that must read its config to the end before it
// joins again after LeaveFor; CatchUp reports whether it did, or else how
// long to wait before trying again.
type CatchingUp interface {
	CatchUp(ctx context.Context) (ok bool, backoff time.Duration)
}

// Member is this worker's membership in the Connect group.
type Member struct {
	cfg    Config
	h      Handler
	log    *slog.Logger
	cl     *kgo.Client
	rejoin chan struct{}
	// unsync asks to leave the group and join again after a backoff.
	unsync chan time.Duration
	mu     sync.Mutex
	leader string // leader URL
	isLead bool
	// version is the protocol version of the last completed round (2 for
	// sessioned: internal requests must be signed).
	version int16
	// holds is the leader's memory across rounds (used only while leading).
	holds *holds
}

// New builds a member; Run joins.
func New(cfg Config, h Handler) (*Member, error) {
	if cfg.GroupID == "" || len(cfg.Brokers) == 0 || cfg.WorkerURL == "" {
		return nil, errors.New("group: brokers, group id and worker URL are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(cfg.Brokers...), kgo.RequestTimeoutOverhead(cfg.RebalanceTimeout)}, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("creating group client: %w", err)
	}
	m := &Member{cfg: cfg, h: h, log: cfg.Logger, cl: cl, rejoin: make(chan struct{}, 1), unsync: make(chan time.Duration, 1), version: -1}
	// The handler is set after New (SetHandler), so look it up per call.
	m.holds = newHolds(cfg.ScheduledRebalanceMaxDelay, func(w Work) Work { return m.h.Released(w) }, cfg.Logger)
	return m, nil
}

// SetHandler sets the handler; call before Run.
func (m *Member) SetHandler(h Handler) { m.h = h }

// RequestRejoin asks for a rebalance, e.g. after a config change.
func (m *Member) RequestRejoin() {
	select {
	case m.rejoin <- struct{}{}:
	default:
	}
}

// LeaveFor leaves the group and joins again after d: what a worker does
// that could not read the config topic in time (worker.sync.timeout.ms).
func (m *Member) LeaveFor(d time.Duration) {
	for {
		select {
		case m.unsync <- d:
			return
		default:
		}
		select {
		case <-m.unsync: // the latest backoff wins
		default:
		}
	}
}

// Leader returns the leader's URL and whether this member leads.
func (m *Member) Leader() (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader, m.isLead
}

// ProtocolVersion is the protocol version the group settled on in the last
// round (0 eager, 1 compatible, 2 sessioned); -1 before the first.
func (m *Member) ProtocolVersion() int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

func (m *Member) protocols() []kmsg.JoinGroupRequestProtocol {
	var names []string
	switch m.cfg.Protocol {
	case ProtocolSessioned:
		names = []string{ProtocolSessioned, ProtocolCompatible, ProtocolEager}
	case ProtocolCompatible:
		names = []string{ProtocolCompatible, ProtocolEager}
	default:
		names = []string{ProtocolEager}
	}
	snap := m.h.Snapshot()
	owned := m.h.Owned()
	out := make([]kmsg.JoinGroupRequestProtocol, len(names))
	for i, n := range names {
		out[i] = kmsg.JoinGroupRequestProtocol{Name: n, Metadata: EncodeMetadata(n, Metadata{URL: m.cfg.WorkerURL, ConfigOffset: snap.Offset, Owned: owned})}
	}
	return out
}

// Run joins the group and keeps the membership alive until ctx ends, then
// leaves the group so the others take over at once.
func (m *Member) Run(ctx context.Context) error {
	defer m.cl.Close()
	memberID := ""
	gen := int32(-1)
	protocol := ""
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		m.cfg.Metrics.Began()
		res, err := m.joinAndSync(ctx, &memberID, &gen, &protocol)
		synced := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, kerr.RebalanceInProgress) {
				// Another round began while we synced (the leader rejoined
				// after our own rejoin found the group stable): join it now.
				m.log.Info("group began another rebalance; rejoining", "group", m.cfg.GroupID)
				continue
			}
			m.log.Warn("joining worker group failed; retrying", "group", m.cfg.GroupID, "error", err, "backoff", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		m.cfg.Metrics.Completed(res.Generation)
		m.mu.Lock()
		m.leader, m.isLead, m.version = res.LeaderURL, res.IsLeader, protocolVersion(res.Protocol)
		m.mu.Unlock()
		// The herder applies the result while this goroutine keeps the
		// session with heartbeats (Connect heartbeats on its own thread):
		// stopping or starting many tasks must not cost the membership.
		applied := make(chan struct{})
		go func() {
			defer close(applied)
			if !res.Revoked.empty() {
				m.h.OnRevoked(ctx, res.Revoked)
			}
			m.h.OnAssigned(ctx, *res)
		}()
		// After revoking, or on a config mismatch, rejoin at once so the
		// next round can hand out what moved.
		if !res.Revoked.empty() || res.Error != ErrNone {
			m.RequestRejoin()
		}
		// The rejoin delay counts from the end of the round, which every
		// member sees at once, not from when this worker has applied its
		// assignment: members rejoin together and the round that hands out
		// held work does not wait for the slowest. (Heartbeats keep each
		// member's own phase: if all beat together, they would beat with
		// a crashed member's last beat and just miss its session expiring.)
		var delay <-chan time.Time
		if res.DelayMillis > 0 {
			delay = time.After(time.Until(synced.Add(time.Duration(res.DelayMillis) * time.Millisecond)))
		}
		leave, outFor := m.heartbeat(ctx, memberID, gen, delay, applied)
		// A rebalance waits until the result is applied: revoked work is
		// stopped before this member joins again, as Connect's cooperative
		// protocol requires. (On shutdown the herder drops the callback.)
		<-applied
		if leave && ctx.Err() == nil {
			m.leave(memberID)
			memberID, gen = "", -1
			m.stayOut(ctx, outFor)
		}
	}
	m.leave(memberID)
	return nil
}

// stayOut waits out a backoff after leaving, then until the handler has
// caught up with its config, before the member joins again.
func (m *Member) stayOut(ctx context.Context, backoff time.Duration) {
	for {
		m.log.Info("left worker group; joining again after the backoff", "group", m.cfg.GroupID, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		c, ok := m.h.(CatchingUp)
		if !ok {
			return
		}
		var caught bool
		if caught, backoff = c.CatchUp(ctx); caught {
			return
		}
	}
}

// heartbeat keeps the session until a rebalance is due and the round's
// result is applied (applied closed); it beats on while the result is being
// applied even once a rebalance is due, since the coordinator expires a
// member that stops beating before it rejoins. leave reports a LeaveFor
// request and its backoff.
func (m *Member) heartbeat(ctx context.Context, memberID string, gen int32, delay <-chan time.Time, applied <-chan struct{}) (leave bool, backoff time.Duration) {
	t := time.NewTicker(m.cfg.HeartbeatInterval)
	defer t.Stop()
	due := false   // a rebalance (or leaving) is due
	stale := false // the coordinator no longer knows this generation
	for !due || applied != nil {
		select {
		case <-ctx.Done():
			return false, 0
		case <-applied:
			applied = nil
		case <-m.rejoin:
			due = true
		case <-delay:
			due, delay = true, nil
		case d := <-m.unsync:
			due, leave, backoff = true, true, d
		case <-t.C:
			if stale {
				continue
			}
			code, err := m.beat(ctx, memberID, gen)
			if err != nil {
				m.log.Warn("heartbeat failed", "error", err)
				continue
			}
			if code != nil {
				if !errors.Is(code, kerr.RebalanceInProgress) {
					m.log.Info("heartbeat says rejoin", "error", code)
					stale = true
				}
				due = true
			}
		}
	}
	return leave, backoff
}

// beat sends one heartbeat; code is the coordinator's error, if any.
func (m *Member) beat(ctx context.Context, memberID string, gen int32) (code, err error) {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = m.cfg.GroupID, memberID, gen
	hctx, cancel := context.WithTimeout(ctx, m.cfg.SessionTimeout)
	defer cancel()
	resp, err := req.RequestWith(hctx, m.cl)
	if err != nil {
		return nil, err
	}
	return kerr.ErrorForCode(resp.ErrorCode), nil
}

// whileBeating runs fn while keeping the session of the current generation.
func (m *Member) whileBeating(ctx context.Context, memberID string, gen int32, fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	if memberID == "" {
		<-done
		return
	}
	t := time.NewTicker(m.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if code, err := m.beat(ctx, memberID, gen); err != nil || (code != nil && !errors.Is(code, kerr.RebalanceInProgress)) {
				// Nothing to keep any more; the join that follows tells.
				<-done
				return
			}
		}
	}
}

func (m *Member) joinAndSync(ctx context.Context, memberID *string, gen *int32, protocol *string) (*Result, error) {
	// Connect logs each rebalance's start too; with "joined worker group"
	// it shows how long a round took.
	m.log.Info("rebalance started", "group", m.cfg.GroupID)
	if *protocol == ProtocolEager {
		// Eager protocol: give everything up before joining.
		if owned := m.h.Owned(); !owned.empty() {
			m.whileBeating(ctx, *memberID, *gen, func() { m.h.OnRevoked(ctx, owned) })
		}
	}
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group = m.cfg.GroupID
	join.SessionTimeoutMillis = int32(m.cfg.SessionTimeout.Milliseconds())
	join.RebalanceTimeoutMillis = int32(m.cfg.RebalanceTimeout.Milliseconds())
	join.ProtocolType = "connect"
	join.MemberID = *memberID
	join.Protocols = m.protocols()
	var jresp *kmsg.JoinGroupResponse
	for {
		jctx, cancel := context.WithTimeout(ctx, m.cfg.RebalanceTimeout+10*time.Second)
		resp, err := join.RequestWith(jctx, m.cl)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("joining group %s: %w", m.cfg.GroupID, err)
		}
		code := kerr.ErrorForCode(resp.ErrorCode)
		switch {
		case code == nil:
			jresp = resp
		case errors.Is(code, kerr.MemberIDRequired):
			*memberID = resp.MemberID
			join.MemberID = resp.MemberID
			continue
		case errors.Is(code, kerr.UnknownMemberID), errors.Is(code, kerr.IllegalGeneration):
			*memberID, join.MemberID = "", ""
			continue
		default:
			return nil, fmt.Errorf("joining group %s: %w", m.cfg.GroupID, code)
		}
		break
	}
	*memberID, *gen = jresp.MemberID, jresp.Generation
	if jresp.Protocol != nil {
		*protocol = *jresp.Protocol
	}
	version := protocolVersion(*protocol)
	isLeader := jresp.LeaderID == jresp.MemberID
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = m.cfg.GroupID, *gen, *memberID
	pt := "connect"
	sync.ProtocolType, sync.Protocol = &pt, protocol
	if isLeader {
		assignments, err := m.lead(jresp, version)
		if err != nil {
			return nil, err
		}
		for id, b := range assignments {
			sync.GroupAssignment = append(sync.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: id, MemberAssignment: b})
		}
	}
	sctx, cancel := context.WithTimeout(ctx, m.cfg.RebalanceTimeout+10*time.Second)
	sresp, err := sync.RequestWith(sctx, m.cl)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("syncing group %s: %w", m.cfg.GroupID, err)
	}
	if code := kerr.ErrorForCode(sresp.ErrorCode); code != nil {
		if errors.Is(code, kerr.UnknownMemberID) || errors.Is(code, kerr.IllegalGeneration) {
			*memberID = ""
		}
		return nil, fmt.Errorf("syncing group %s: %w", m.cfg.GroupID, code)
	}
	a, err := DecodeAssignment(sresp.MemberAssignment)
	if err != nil {
		return nil, fmt.Errorf("decoding assignment: %w", err)
	}
	m.log.Info("joined worker group", "group", m.cfg.GroupID, "generation", *gen, "protocol", *protocol, "leader", isLeader,
		"assigned_connectors", a.Assigned.Connectors, "assigned_tasks", len(a.Assigned.Tasks), "revoked_tasks", len(a.Revoked.Tasks))
	return &Result{Assignment: a, Generation: *gen, MemberID: *memberID, Protocol: *protocol, IsLeader: isLeader}, nil
}

// lead computes every member's assignment.
func (m *Member) lead(jresp *kmsg.JoinGroupResponse, version int16) (map[string][]byte, error) {
	snap := m.h.Snapshot()
	members := make([]member, 0, len(jresp.Members))
	var maxOffset int64
	urls := map[string]string{}
	for _, jm := range jresp.Members {
		meta, err := DecodeMetadata(jm.ProtocolMetadata)
		if err != nil {
			return nil, fmt.Errorf("decoding metadata of member %s: %w", jm.MemberID, err)
		}
		members = append(members, member{id: jm.MemberID, meta: meta})
		urls[jm.MemberID] = meta.URL
		maxOffset = max(maxOffset, meta.ConfigOffset)
	}
	out := make(map[string][]byte, len(members))
	base := Assignment{Version: version, Leader: jresp.LeaderID, LeaderURL: urls[jresp.LeaderID], ConfigOffset: snap.Offset}
	if snap.Offset < maxOffset {
		// A member has read more of the config topic than the leader:
		// everyone catches up and rejoins, as Connect does.
		base.Error = ErrConfigMismatch
		base.ConfigOffset = maxOffset
		for _, mm := range members {
			out[mm.id] = EncodeAssignment(base)
		}
		return out, nil
	}
	var plan map[string]Assignment
	var delay time.Duration
	if version == 0 {
		plan = assignEager(snap, members)
	} else {
		start := time.Now()
		plan, delay = m.holds.assign(snap, members, start)
		if delay > 0 {
			// Members count the delay from the end of this round; judging a
			// departed worker's work may have taken a while (reading statuses).
			delay = max(delay-time.Since(start), time.Millisecond)
		}
	}
	for id, a := range plan {
		a.Version, a.Leader, a.LeaderURL, a.ConfigOffset = base.Version, base.Leader, base.LeaderURL, base.ConfigOffset
		a.DelayMillis = int32(delay.Milliseconds())
		out[id] = EncodeAssignment(a)
	}
	return out, nil
}

func (m *Member) leave(memberID string) {
	if memberID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group, req.MemberID = m.cfg.GroupID, memberID
	req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: memberID}}
	if _, err := req.RequestWith(ctx, m.cl); err != nil {
		m.log.Warn("leaving worker group", "error", err)
	}
}
