// Package basicauth is Apache Connect's BasicAuthSecurityRestExtension:
// HTTP Basic credentials checked by the login modules of the KafkaConnect
// entry of a JAAS login configuration file, each a PropertyFileLoginModule
// whose file option names a Java properties file of user=password lines.
// The JAAS file is found as Connect users give it to the JVM
// (-Djava.security.auth.login.config in KAFKA_OPTS) or through a worker
// setting. Passwords are never logged or kept in messages.
package basicauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gonnect/gonnect/internal/properties"
	"github.com/gonnect/gonnect/worker/clientsecurity"
)

// Java names.
const (
	// LoginConfigProperty is the JVM system property naming the JAAS file.
	LoginConfigProperty = "java.security.auth.login.config"
	// AppName is the JAAS entry the extension logs in with.
	AppName = "KafkaConnect"
	// LoginModule is the only login module this worker has.
	LoginModule = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"
)

// LoginConfigFromJavaOpts returns the value of
// -Djava.security.auth.login.config in JVM options as Connect's scripts
// pass them (KAFKA_OPTS, split at white space as the shell does; the last
// one wins, as in the JVM). "==" (use only this file) reads as "=".
func LoginConfigFromJavaOpts(opts string) string {
	found := ""
	for _, f := range strings.Fields(opts) {
		if v, ok := strings.CutPrefix(f, "-D"+LoginConfigProperty+"="); ok {
			found = strings.TrimPrefix(v, "=")
			found = strings.Trim(found, `"'`)
		}
	}
	return found
}

// module is one PropertyFileLoginModule of the KafkaConnect entry, its
// credentials read.
type module struct {
	file  string
	users map[string]string
}

// Authenticator checks HTTP Basic credentials as Connect's JaasBasicAuthFilter
// with PropertyFileLoginModule does.
type Authenticator struct {
	jaasFile string
	modules  []module
}

// JAASFile is the JAAS file the authenticator was loaded from.
func (a *Authenticator) JAASFile() string { return a.jaasFile }

// CredentialFiles are the credentials files of its login modules.
func (a *Authenticator) CredentialFiles() []string {
	out := make([]string, len(a.modules))
	for i, m := range a.modules {
		out[i] = m.file
	}
	return out
}

// Load reads the JAAS file (a path, or a file: URL as the JVM accepts) and
// the credentials files of its KafkaConnect entry. from says where the
// file was named, for messages. Connect reads the credentials files at
// the first request and answers 401 to every request when one is missing;
// this worker refuses to start instead, naming the file.
func Load(jaasFile, from string) (*Authenticator, error) {
	path := jaasFile
	if u, err := url.Parse(jaasFile); err == nil && u.Scheme == "file" {
		path = u.Path
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the JAAS login configuration %s (%s): %w", jaasFile, from, err)
	}
	entries, err := clientsecurity.ParseJAASFile(string(b))
	if err != nil {
		return nil, fmt.Errorf("parsing the JAAS login configuration %s (%s): %w", jaasFile, from, err)
	}
	mods, ok := entries[AppName]
	if !ok || len(mods) == 0 {
		return nil, fmt.Errorf("the JAAS login configuration %s (%s) has no %s entry with login modules: the Basic authentication extension logs in with it", jaasFile, from, AppName)
	}
	a := &Authenticator{jaasFile: jaasFile}
	for _, m := range mods {
		if m.LoginModule != LoginModule {
			return nil, fmt.Errorf("the %s entry of the JAAS login configuration %s uses login module %s: this worker runs no Java classes; its only login module is %s",
				AppName, jaasFile, m.LoginModule, LoginModule)
		}
		file, err := expand(m.Options["file"])
		if err != nil {
			return nil, fmt.Errorf("the file option of %s in the JAAS login configuration %s: %w", LoginModule, jaasFile, err)
		}
		if strings.TrimSpace(file) == "" {
			return nil, fmt.Errorf("Property Credentials file must be specified: the %s of the %s entry of the JAAS login configuration %s has no file option", LoginModule, AppName, jaasFile)
		}
		users, err := properties.Load(file)
		if err != nil {
			return nil, fmt.Errorf("Error loading Property Credentials file %s (named by the JAAS login configuration %s): %w", file, jaasFile, err)
		}
		a.modules = append(a.modules, module{file: file, users: users})
	}
	return a, nil
}

var propertyRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// expand replaces the ${property} references the JVM expands in JAAS
// option values, for the system properties a path may use.
func expand(v string) (string, error) {
	var bad error
	out := propertyRef.ReplaceAllStringFunc(v, func(ref string) string {
		name := ref[2 : len(ref)-1]
		var val string
		var err error
		switch name {
		case "user.home":
			val, err = os.UserHomeDir()
		case "user.dir":
			val, err = os.Getwd()
		case "java.io.tmpdir":
			val = os.TempDir()
		case "/", "file.separator":
			val = string(filepath.Separator)
		default:
			err = fmt.Errorf("system property %s cannot be expanded here (only user.home, user.dir, java.io.tmpdir and file.separator)", name)
		}
		if err != nil && bad == nil {
			bad = err
		}
		return val
	})
	return out, bad
}

// ErrMalformedBase64 is a Basic credential that is not base64: Connect's
// filter fails on it before logging in, with the message of Java's
// decoder (errors.Is matches it).
var ErrMalformedBase64 = errors.New("the Basic credentials are not base64")

type base64Error string

func (e base64Error) Error() string        { return string(e) }
func (e base64Error) Is(target error) bool { return target == ErrMalformedBase64 }

// javaBase64Error is what java.util.Base64's decoder says of enc.
func javaBase64Error(enc string) error {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; c != '=' && strings.IndexByte(alphabet, c) < 0 {
			return base64Error(fmt.Sprintf("Illegal base64 character %x", c))
		}
	}
	if i := strings.IndexByte(enc, '='); i >= 0 && strings.TrimRight(enc[i:], "=") != "" {
		return base64Error(fmt.Sprintf("Input byte array has incorrect ending byte at %d", i))
	}
	if len(strings.TrimRight(enc, "="))%4 == 1 {
		return base64Error("Last unit does not have enough valid bits")
	}
	return base64Error("Input byte array has wrong 4-byte ending unit")
}

// Authenticate reports whether an Authorization header value is allowed,
// as Connect's filter and login modules decide: the request is allowed
// when any login module accepts it (JAAS ignores a module that does not,
// and none can fail once its file is read), and a module accepts the
// user whose password its file holds, or anyone when its file is empty.
func (a *Authenticator) Authenticate(header string) (bool, error) {
	user, password, present, err := credentials(header)
	if err != nil {
		return false, err
	}
	for _, m := range a.modules {
		if len(m.users) == 0 {
			return true, nil
		}
		if !present {
			continue
		}
		if want, ok := m.users[user]; ok && want == password {
			return true, nil
		}
	}
	return false, nil
}

// credentials parses the header as Connect's BasicAuthCredentials does:
// "<scheme> <base64 of user:password>", the scheme Basic in any case, a
// user of at least one character before the first colon; anything else
// carries no credentials.
func credentials(header string) (user, password string, ok bool, err error) {
	if header == "" {
		return "", "", false, nil
	}
	i := strings.IndexByte(header, ' ')
	if i <= 0 || !strings.EqualFold(header[:i], "Basic") {
		return "", "", false, nil
	}
	// Java's decoder takes the padding as optional.
	enc := header[i+1:]
	dec, err := base64.StdEncoding.DecodeString(enc)
	if err != nil && !strings.Contains(enc, "=") {
		dec, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil {
		return "", "", false, javaBase64Error(enc)
	}
	s := string(dec)
	j := strings.IndexByte(s, ':')
	if j <= 0 {
		return "", "", false, nil
	}
	return s[:j], s[j+1:], true, nil
}
