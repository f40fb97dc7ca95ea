package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gonnect/gonnect/worker/entities"

	"github.com/gonnect/gonnect/connectors/configdef"
	"github.com/gonnect/gonnect/connectors/connectorconfig"
	"github.com/gonnect/gonnect/internal/logging"
	"github.com/gonnect/gonnect/internal/properties"
	"github.com/gonnect/gonnect/restapi"
	"github.com/gonnect/gonnect/worker"
	"github.com/gonnect/gonnect/worker/clientsecurity"
	"github.com/gonnect/gonnect/worker/metrics"
	"github.com/gonnect/gonnect/worker/storage"
)

// startTimeout bounds reading the internal topics at start-up.
const startTimeout = 2 * time.Minute

// runWorker is the composition root (Connect's ConnectDistributed and
// ConnectStandalone): stores, membership, herder and REST server, started
// in that order and stopped in reverse.
func runWorker(ctx context.Context, log *slog.Logger, loggers *logging.Registry, cfg *worker.Config, connectorFiles []string) error {
	wk := worker.NewWorker(cfg, loggers)
	began := time.Now()
	bootstrap := cfg.Bootstrap()
	sec, err := clientsecurity.Parse(wk.ClientSecurityProps())
	if err != nil {
		return fmt.Errorf("invalid worker configuration: %w", err)
	}
	for _, k := range sec.Unknown {
		if !cfg.Values.Has(k) { // the worker's own keys (ssl.client.auth) are read elsewhere
			log.Warn("worker setting is no Kafka client security setting, ignored", "key", k)
		}
	}
	// Connect binds its REST server, stores read, before it contacts Kafka.
	restSec, err := newRESTSecurity(cfg, os.Getenv("KAFKA_OPTS"), loggers.Logger("org.apache.kafka.connect.runtime.rest.RestServer"))
	if err != nil {
		return err
	}
	providers, err := workerProviders(cfg)
	if err != nil {
		return err
	}
	secProps := sec.Librdkafka()
	if err := cfg.CheckBootstrap(ctx); err != nil {
		return err
	}
	lctx, lcancel := worker.ClusterLookupContext(ctx)
	defer lcancel()
	// librdkafka retries refused connections quietly: a wrong password or
	// an untrusted certificate is reported here, at once.
	if sec.Protocol != "PLAINTEXT" {
		if err := sec.Check(lctx, cfg.Values.List(worker.BootstrapServers)); err != nil {
			return err
		}
	}
	clusterID, err := storage.ClusterID(lctx, bootstrap, secProps)
	lcancel()
	if err != nil {
		return cfg.ClusterUnreachable(err)
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	_, _, port, err := cfg.FirstListener()
	if err != nil {
		return err
	}
	url := cfg.AdvertisedURL(port)
	workerID := worker.WorkerIDFromURL(url)
	defaults := wk.ConverterDefaults()
	reg := metrics.New()
	// The console's charts: the last ten minutes of every task, sampled
	// every 5 s, for as long as the worker runs.
	history := metrics.NewHistory(reg, 5*time.Second, 10*time.Minute)
	historyCtx, stopHistory := context.WithCancel(ctx)
	historyDone := make(chan struct{})
	go func() { defer close(historyDone); history.Run(historyCtx) }()
	defer func() { stopHistory(); <-historyDone }()

	var (
		configs worker.ConfigStore
		status  worker.StatusStore
		offsets *storage.OffsetAdmin
		member  worker.Membership
		stops   []func()
	)
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}()
	// One client for every request to other workers: forwarding to the
	// leader and internal task configs, with Connect's 90 s bound.
	workerClient := restSec.workerClient(90 * time.Second)
	herderCfg := worker.HerderConfig{
		Logger: loggers.Logger("org.apache.kafka.connect.runtime.Herder"), WorkerID: workerID, ClusterID: clusterID, Loggers: loggers,
		StopTimeout:          cfg.Millis(worker.TaskShutdownTimeout),
		AdminClientProps:     wk.AdminClientProps,
		InternalClient:       workerClient,
		DisableTopicTracking: !cfg.Values.Bool(worker.TopicTrackingEnable),
		Metrics:              reg,
		Validate: func(ctx context.Context, plugin string, config map[string]string) (configdef.Infos, error) {
			resolved, err := providers.Transform(config)
			if err != nil {
				return configdef.Infos{}, fmt.Errorf("resolving config provider placeholders: %w", err)
			}
			return wk.ValidateConnector(ctx, plugin, resolved)
		},
		ConfigTransform: providers.Transform,
	}
	var herder *worker.Herder
	if cfg.Distributed {
		logCfg := func(topic string, partitions, rf int) storage.LogConfig {
			return storage.LogConfig{Bootstrap: bootstrap, Topic: topic, Partitions: partitions, Replication: rf, ClientProps: secProps,
				Logger: loggers.Logger("org.apache.kafka.connect.util.KafkaBasedLog")}
		}
		v := cfg.Values
		cs := storage.NewConfigStore(logCfg(v.String(worker.ConfigStorageTopic), 1, v.Int(worker.ConfigStorageRF)))
		ss := storage.NewStatusStore(logCfg(v.String(worker.StatusStorageTopic), v.Int(worker.StatusStoragePartitions), v.Int(worker.StatusStorageRF)))
		ofs := storage.NewOffsetStore(logCfg(v.String(worker.OffsetStorageTopic), v.Int(worker.OffsetStoragePartitions), v.Int(worker.OffsetStorageRF)))
		for _, s := range []interface {
			Start(context.Context) error
			Stop()
		}{ofs, ss, cs} {
			if err := s.Start(sctx); err != nil {
				return err
			}
			stops = append(stops, s.Stop)
		}
		configs, status = cs, ss
		offsets = &storage.OffsetAdmin{Bootstrap: bootstrap, ClientProps: secProps, Source: ofs}
		herderCfg.NewTask = wk.TaskFactory(ofs)
		rebalance := metrics.NewRebalance()
		reg.Add("rebalance", rebalance)
		m, err := newGroupMember(cfg, url, loggers, sec.FranzOpts(), rebalance)
		if err != nil {
			return err
		}
		member = m
		herderCfg.Configs, herderCfg.Status, herderCfg.Offsets, herderCfg.Member = configs, status, offsets, member
		herderCfg.SyncTimeout, herderCfg.UnsyncBackoff = cfg.Millis(worker.WorkerSyncTimeout), cfg.Millis(worker.WorkerUnsyncBackoff)
		herderCfg.ScheduledRebalanceDelay = cfg.Millis(worker.ScheduledRebalanceDelay)
		keys := cfg.SessionKeys()
		herderCfg.SessionKeys, herderCfg.GroupID = &keys, v.String(worker.GroupID)
		herderCfg.FenceProducers = func(ctx context.Context, ids []string) error {
			return storage.FenceProducers(ctx, v.List(worker.BootstrapServers), sec.FranzOpts(), ids)
		}
		herder = worker.NewHerder(herderCfg)
		cs.SetListener(herder)
		m.SetHandler(herder)
	} else {
		fo, err := storage.NewFileOffsetStore(cfg.Values.String(worker.OffsetStorageFile))
		if err != nil {
			return err
		}
		mc, ms := worker.NewMemoryConfigStore(), worker.NewMemoryStatusStore()
		solo := worker.NewSolo(url)
		configs, status = mc, ms
		offsets = &storage.OffsetAdmin{Bootstrap: bootstrap, ClientProps: secProps, Source: fo}
		herderCfg.NewTask = wk.TaskFactory(fo)
		herderCfg.Configs, herderCfg.Status, herderCfg.Offsets, herderCfg.Member = mc, ms, offsets, solo
		herder = worker.NewHerder(herderCfg)
		mc.SetListener(herder)
		solo.SetHandler(herder)
	}

	rest, err := restapi.New(restapi.Config{
		Listener: cfg.Values.List(worker.Listeners)[0], MoreListeners: cfg.Values.List(worker.Listeners)[1:], Herder: herder, Logger: loggers.Logger("org.apache.kafka.connect.runtime.rest.RestServer"),
		Loggers: loggers, Defaults: defaults, ExtraPlugins: converterPlugins(), Metrics: reg.Handler(), History: history,
		AllowOrigin: cfg.Values.String(worker.AccessControlAllowOrigin), AllowMethods: cfg.Values.String(worker.AccessControlAllowMethods),
		AdminListeners: cfg.Values.List(worker.AdminListeners), ResponseHeaders: cfg.Values.String(worker.ResponseHTTPHeaders),
		DisableTopicTracking: !cfg.Values.Bool(worker.TopicTrackingEnable), DisableTopicTrackingReset: !cfg.Values.Bool(worker.TopicTrackingAllowReset),
		TLS: restSec.tls, AdminTLS: restSec.adminTLS, ClientTLS: restSec.clientTLS, ClientTLSErr: restSec.clientTLSErr, Client: workerClient, BasicAuth: restSec.auth,
	})
	if err != nil {
		return err
	}
	if err := rest.Start(); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rest.Shutdown(sctx); err != nil {
			log.Warn("stopping REST server", "error", err)
		}
	}()
	if l := cfg.Values.String(worker.MetricsListener); l != "" {
		stop, err := serveMetrics(l, reg, loggers.Logger("org.apache.kafka.connect.runtime.rest.RestServer"))
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("worker started", "mode", map[bool]string{true: "distributed", false: "standalone"}[cfg.Distributed],
		"url", url, "kafka_cluster_id", clusterID, "startup", time.Since(began).Round(time.Millisecond))
	// Start-up (reading the internal topics, building clients and the REST
	// server) leaves a few MiB of garbage that a worker idling at GOGC=200
	// would hold for minutes; one collection now gives it back.
	debug.FreeOSMemory()

	hctx, stopHerder := context.WithCancel(ctx)
	defer stopHerder()
	herderDone := make(chan error, 1)
	go func() { herderDone <- herder.Run(hctx) }()
	if len(connectorFiles) > 0 {
		if err := submitConnectorFiles(ctx, herder, connectorFiles); err != nil {
			stopHerder()
			<-herderDone
			return err
		}
	}
	select {
	case err := <-herderDone:
		return err
	case <-ctx.Done():
		log.Info("stopping worker")
		stopHerder()
		return <-herderDone
	}
}

// submitConnectorFiles creates or updates the connectors of a standalone
// worker's files (.properties, or .json with Connect's create request or a
// flat config, as Connect 3.8+ accepts).
func submitConnectorFiles(ctx context.Context, h *worker.Herder, files []string) error {
	for _, f := range files {
		var cfg map[string]string
		if strings.EqualFold(filepath.Ext(f), ".json") {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("reading connector file: %w", err)
			}
			var req struct {
				Name   string            `json:"name"`
				Config map[string]string `json:"config"`
			}
			if err := json.Unmarshal(b, &req); err == nil && req.Config != nil {
				cfg = req.Config
				if req.Name != "" {
					cfg[connectorconfig.Name] = req.Name
				}
			} else if err := json.Unmarshal(b, &cfg); err != nil {
				return fmt.Errorf("parsing connector file %s: %w", f, err)
			}
		} else {
			var err error
			if cfg, err = properties.Load(f); err != nil {
				return err
			}
		}
		name := cfg[connectorconfig.Name]
		if name == "" {
			return fmt.Errorf("connector file %s has no name", f)
		}
		if _, _, err := h.PutConnectorConfig(ctx, name, cfg, true, ""); err != nil {
			var bad *entities.BadRequestError
			if errors.As(err, &bad) {
				return fmt.Errorf("connector file %s: %s", f, bad.Msg)
			}
			return fmt.Errorf("creating connector %s from %s: %w", name, f, err)
		}
	}
	return nil
}

// serveMetrics serves /metrics on its own listener (gonnect.metrics.listener)
// until the returned stop is called.
func serveMetrics(listener string, reg *metrics.Registry, log *slog.Logger) (stop func(), err error) {
	u, err := url.Parse(listener)
	if err != nil {
		return nil, fmt.Errorf("parsing %s %q: %w", worker.MetricsListener, listener, err)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("binding metrics listener %s: %w", u.Host, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	log.Info("metrics listener", "address", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
