package storage

// ConfigListener is told about config topic changes; the config stores call it
// from their reader goroutine, so implementations must not block long.
type ConfigListener interface {
	ConfigChanged()
	RestartRequested(name string, includeTasks, onlyFailed bool)
	// LoggerLevelChanged hears cluster-scoped logger levels written after
	// the store started; older ones are not replayed, so a restarted
	// worker starts from its configured levels, as in Connect.
	LoggerLevelChanged(namespace, level string)
}
