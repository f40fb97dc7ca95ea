package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gonnect/gonnect/worker/entities"
	"github.com/gonnect/gonnect/worker/sessionkey"
)

// SessionKeyConfig is a distributed worker's KIP-507 settings.
type SessionKeyConfig struct {
	// Generator makes keys (inter.worker.key.generation.algorithm and
	// inter.worker.key.size); TTL is inter.worker.key.ttl.ms (0: a key
	// never expires).
	Generator sessionkey.Generator
	TTL       time.Duration
	// SignatureAlgorithm signs this worker's requests
	// (inter.worker.signature.algorithm); Verifier checks others'
	// (inter.worker.verification.algorithms).
	SignatureAlgorithm string
	Verifier           sessionkey.Verifier
}

// keyRetryDelay paces another attempt after writing a session key failed.
const keyRetryDelay = time.Second

// Task config forwarding retries back off as Connect's do (250 ms doubling
// up to a minute).
const (
	forwardBackoffMin = 250 * time.Millisecond
	forwardBackoffMax = time.Minute
)

// validationEnabled reports whether internal requests must be signed: the
// group settled on the sessioned protocol (version 2) or later.
func (h *Herder) validationEnabled() bool {
	v, ok := h.member.(protocolVersioner)
	return ok && v.ProtocolVersion() >= 2
}

func (h *Herder) isLeader() bool {
	_, lead := h.member.Leader()
	return lead
}

// maybeRotateKey is the leader's part of KIP-507, run on the herder
// goroutine after each assignment, config change and at the key's expiry:
// with no key yet, an expired one, or one of another algorithm or size than
// this worker's settings make, it writes a new key to the config topic.
func (h *Herder) maybeRotateKey(ctx context.Context) {
	if h.keys == nil {
		return
	}
	defer h.rearmKeyTimer()
	if !h.validationEnabled() || !h.isLeader() || !h.ready.Load() {
		return
	}
	now := time.Now()
	if now.Before(h.keyRetryAt) {
		return
	}
	key := h.configs.Snapshot().SessionKey
	var why string
	switch {
	case key == nil:
		why = "internal request signing is enabled but no session key has been distributed yet"
	case h.keys.TTL > 0 && !now.Before(key.Created.Add(h.keys.TTL)):
		why = "the session key has expired"
	case !h.keys.Generator.Matches(key):
		why = "the session key uses another algorithm or key size than this worker's configuration"
	default:
		return
	}
	next, err := h.keys.Generator.Generate(now)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, h.syncWait*10)
		err = h.configs.PutSessionKey(wctx, next)
		cancel()
	}
	if err != nil {
		h.keyRetryAt = now.Add(keyRetryDelay)
		h.log.Warn("failed to write a new session key to the config topic; retrying", "error", err, "retry_in", keyRetryDelay)
		return
	}
	h.log.Info("distributed a new session key", "reason", why, "algorithm", next.Algorithm)
}

// rearmKeyTimer sets the timer to the next moment maybeRotateKey has work.
func (h *Herder) rearmKeyTimer() {
	if h.keyTimer == nil || h.keys == nil {
		return
	}
	h.keyTimer.Stop()
	d := time.Duration(-1)
	if h.validationEnabled() && h.isLeader() {
		switch key := h.configs.Snapshot().SessionKey; {
		case !h.keyRetryAt.IsZero() && time.Now().Before(h.keyRetryAt):
			d = time.Until(h.keyRetryAt)
		case key != nil && h.keys.TTL > 0:
			d = max(time.Until(key.Created.Add(h.keys.TTL)), 0)
		}
	}
	if d >= 0 {
		h.keyTimer.Reset(d)
	}
}

// checkSignature verifies an internal request when the group requires it.
func (h *Herder) checkSignature(sig *sessionkey.Signature) error {
	if !h.validationEnabled() {
		return nil
	}
	return h.keys.Verifier.Check(sig, h.configs.Snapshot().SessionKey)
}

var (
	errStandaloneTaskConfigs = errors.New("Kafka Connect in standalone mode does not support externally setting task configurations.")
	errStandaloneFencing     = errors.New("Kafka Connect in standalone mode does not support exactly-once source connectors.")
)

// PutTaskConfigs implements Interface: another worker hands the leader the
// task configs of a connector it runs (POST /connectors/{c}/tasks).
func (h *Herder) PutTaskConfigs(ctx context.Context, name string, configs []map[string]string, sig *sessionkey.Signature) error {
	if h.keys == nil {
		return errStandaloneTaskConfigs
	}
	if err := h.checkSignature(sig); err != nil {
		return err
	}
	return h.do(ctx, func() error {
		url, lead := h.member.Leader()
		if !lead {
			return &entities.NotLeaderError{URL: url, Msg: "Only the leader may write task configurations."}
		}
		snap := h.configs.Snapshot()
		if snap.Connectors[name] == nil {
			return &entities.NotFoundError{Msg: "Connector " + name + " not found"}
		}
		if len(configs) > 0 && snap.Target(name) == entities.TargetStopped {
			return &entities.BadRequestError{Msg: "Cannot submit non-empty set of task configs for stopped connector " + name}
		}
		if err := h.configs.PutTaskConfigs(ctx, name, configs); err != nil {
			return fmt.Errorf("writing %d task configs for connector %s to the config topic: %w", len(configs), name, err)
		}
		return nil
	})
}

// FenceZombies implements Interface: the leader fences out the producers of
// a source connector's older task generations (PUT /connectors/{c}/fence),
// as Connect's exactly-once source support asks it to, then records the
// current task count.
func (h *Herder) FenceZombies(ctx context.Context, name string, sig *sessionkey.Signature) error {
	if h.keys == nil {
		return errStandaloneFencing
	}
	if err := h.checkSignature(sig); err != nil {
		return err
	}
	return h.do(ctx, func() error {
		url, lead := h.member.Leader()
		if !lead {
			return &entities.NotLeaderError{URL: url, Msg: "Only the leader may perform zombie fencing."}
		}
		cfg := h.configs.Snapshot().Connectors[name]
		if cfg == nil {
			return &entities.NotFoundError{Msg: "Connector " + name + " not found"}
		}
		if connectorType(cfg) != entities.TypeSource {
			return &entities.BadRequestError{Msg: "Connector " + name + " is not a source connector"}
		}
		sctx, cancel := context.WithTimeout(ctx, h.syncWait)
		err := h.configs.Refresh(sctx)
		cancel()
		if err != nil {
			return fmt.Errorf("Failed to read to end of config topic before performing zombie fencing: %w", err)
		}
		snap := h.configs.Snapshot()
		if !snap.PendingFencing[name] {
			return nil
		}
		tasks := len(snap.Tasks[name])
		if prev, ok := snap.TaskCountRecords[name]; ok && (prev != 1 || tasks != 1) {
			if h.fence == nil {
				return fmt.Errorf("fencing producers of connector %s: this worker cannot fence producers", name)
			}
			ids := make([]string, prev)
			for i := range ids {
				ids[i] = fmt.Sprintf("%s-%s-%d", h.groupID, name, i)
			}
			if err := h.fence(ctx, ids); err != nil {
				return fmt.Errorf("Failed to perform zombie fencing for connector %s: %w", name, err)
			}
		}
		if err := h.configs.PutTaskCountRecord(ctx, name, tasks); err != nil {
			return fmt.Errorf("writing a task count record for connector %s to the config topic: %w", name, err)
		}
		return nil
	})
}

// taskForward is one connector's task configs on their way to the leader.
type taskForward struct {
	configs []map[string]string
	attempt int
}

// forwardTaskConfigs hands a connector's new task configs to the leader,
// signed with the session key, as a Connect follower does; on failure it
// regenerates and forwards them again after a backoff, from the herder
// goroutine. The request runs on a goroutine of its own so the herder goes
// on serving (and the group keeps its session) while the leader answers.
//
// A connector's forwards go one at a time, in order: two in flight at once
// could reach the leader (or two leaders, across a rebalance) in either
// order and leave the older configs written last. While one is in flight
// the newest configs wait, replacing any older ones waiting.
func (h *Herder) forwardTaskConfigs(name string, configs []map[string]string, attempt int) {
	h.fwdMu.Lock()
	defer h.fwdMu.Unlock()
	if h.fwdBusy[name] {
		h.fwdNext[name] = taskForward{configs, attempt}
		return
	}
	h.fwdBusy[name] = true
	ctx := h.runCtx
	h.forwards.Add(1)
	go func() {
		defer h.forwards.Done()
		f := taskForward{configs, attempt}
		for {
			h.sendTaskConfigs(ctx, name, f)
			h.fwdMu.Lock()
			next, ok := h.fwdNext[name]
			delete(h.fwdNext, name)
			if !ok || ctx.Err() != nil {
				delete(h.fwdBusy, name)
				h.fwdMu.Unlock()
				return
			}
			h.fwdMu.Unlock()
			f = next
		}
	}()
}

// forwarding reports whether a forward of the connector's task configs is
// in flight: the config topic may then still change to older configs.
func (h *Herder) forwarding(name string) bool {
	h.fwdMu.Lock()
	defer h.fwdMu.Unlock()
	return h.fwdBusy[name]
}

// sendTaskConfigs posts one connector's task configs to the leader. On
// failure it waits a backoff, then has the herder goroutine regenerate
// them; what that forwards waits behind this send (see forwardTaskConfigs).
func (h *Herder) sendTaskConfigs(ctx context.Context, name string, f taskForward) {
	leader, _ := h.member.Leader()
	err := h.postTaskConfigs(ctx, leader, name, f.configs, h.configs.Snapshot().SessionKey)
	if err == nil || ctx.Err() != nil {
		return
	}
	backoff := min(forwardBackoffMin<<min(f.attempt, 10), forwardBackoffMax)
	h.log.Error("Failed to reconfigure connector's tasks, retrying after backoff", "connector", name, "error", err, "backoff", backoff)
	select {
	case <-ctx.Done():
		return
	case <-time.After(backoff):
	}
	_ = h.do(ctx, func() error {
		h.reconfigureTasksAttempt(ctx, h.configs.Snapshot(), name, f.attempt+1)
		return nil
	})
}

// postTaskConfigs is the signed POST /connectors/{c}/tasks to the leader.
func (h *Herder) postTaskConfigs(ctx context.Context, leader, name string, configs []map[string]string, key *entities.SessionKey) error {
	if strings.TrimSpace(leader) == "" {
		return errors.New("Request to leader to reconfigure connector tasks failed because the URL of the leader's REST interface is empty!")
	}
	if configs == nil {
		configs = []map[string]string{}
	}
	body, err := json.Marshal(configs)
	if err != nil {
		return fmt.Errorf("encoding task configs of connector %s: %w", name, err)
	}
	target := strings.TrimSuffix(leader, "/") + "/connectors/" + url.PathEscape(name) + "/tasks"
	rctx, cancel := context.WithTimeout(ctx, internalRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("forwarding task configs of connector %s to %s: %w", name, target, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kafka-connect")
	if key != nil {
		if err := sessionkey.AddToRequest(req, key, h.keys.SignatureAlgorithm, body); err != nil {
			return fmt.Errorf("signing task configs of connector %s: %w", name, err)
		}
	}
	resp, err := h.internalClient.Do(req)
	if err != nil {
		return fmt.Errorf("IO Error trying to forward REST request: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("leader %s answered %d: %s", leader, resp.StatusCode, e.Message)
	}
	return nil
}

// internalRequestTimeout bounds one request to another worker.
const internalRequestTimeout = 90 * time.Second
