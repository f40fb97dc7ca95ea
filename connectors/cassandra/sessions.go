package cassandra

import (
	"fmt"
	"sync"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gonnect/gonnect/connectors/configdef"
)

// The tasks of one connector share one driver session, as the DataStax
// connector's tasks do: one pool of connectionPoolLocalSize connections
// per node instead of one per task, one copy of the schema metadata, and
// tasks that start at once (a new task finds the session ready). The
// session closes when the connector's last task stops.

// sessionKeys are the settings that shape a session.
var sessionKeys = []string{"contactPoints", "port", "loadBalancing.localDc", "auth.provider", "auth.username", "auth.password",
	"ssl.provider", "ssl.cipherSuites", "ssl.hostnameValidation", "ssl.keystore.path", "ssl.keystore.password",
	"ssl.openssl.keyCertChain", "ssl.openssl.privateKey", "ssl.truststore.path", "ssl.truststore.password",
	"compression", "connectionPoolLocalSize", "queryExecutionTimeout", "maxConcurrentRequests"}

type sharedSession struct {
	ready   chan struct{} // closed once s/err are set
	session *gocql.Session
	err     error
	refs    int
	// inflight holds a token per request in flight: maxConcurrentRequests
	// bounds the requests of all the connector's tasks together, as the
	// DataStax connector's per-connector semaphore does.
	inflight chan struct{}
}

var sessions = struct {
	sync.Mutex
	byKey map[string]*sharedSession
}{byKey: map[string]*sharedSession{}}

func sessionKey(connector string, v configdef.Values) string {
	key := connector
	for _, k := range sessionKeys {
		val := v[k]
		if secret, ok := val.(configdef.Secret); ok {
			val = secret.Value() // its String is [hidden]: a changed password is another session
		}
		key += fmt.Sprintf("\x00%v", val)
	}
	return key
}

// acquireSession returns the connector's session and its request tokens,
// connecting if it is the first; release must be called once the caller
// is done with them.
func acquireSession(connector string, v configdef.Values) (s *gocql.Session, inflight chan struct{}, release func(), err error) {
	key := sessionKey(connector, v)
	sessions.Lock()
	sh := sessions.byKey[key]
	if sh == nil {
		sh = &sharedSession{ready: make(chan struct{}), inflight: make(chan struct{}, v.Int("maxConcurrentRequests"))}
		sessions.byKey[key] = sh
		sessions.Unlock()
		// Connect outside the lock; tasks of the same connector wait on ready.
		sh.session, sh.err = connect(v)
		close(sh.ready)
		sessions.Lock()
	}
	sh.refs++
	sessions.Unlock()
	<-sh.ready
	if sh.err != nil {
		unref(key, sh)
		return nil, nil, nil, sh.err
	}
	var once sync.Once
	return sh.session, sh.inflight, func() { once.Do(func() { unref(key, sh) }) }, nil
}

// unref drops a reference; the last one closes the session and forgets it,
// so a failed connection is retried by the next task that starts.
func unref(key string, sh *sharedSession) {
	sessions.Lock()
	defer sessions.Unlock()
	sh.refs--
	if sh.refs > 0 {
		return
	}
	if sessions.byKey[key] == sh {
		delete(sessions.byKey, key)
	}
	if sh.session != nil {
		sh.session.Close()
	}
}
