package cassandra

import (
	"context"
	"errors"
	"fmt"
	"net"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The exception classes of the DataStax connector's failures, so a record
// gonnect reports carries the class the DataStax connector's would.
const (
	classConfig          = "com.datastax.oss.common.sink.ConfigException"
	classIllegalArgument = "java.lang.IllegalArgumentException"
	driverErrors         = "com.datastax.oss.driver.api.core."
)

// mappingError is a record the mapping cannot turn into a statement, with
// the DataStax connector's message and exception class for it.
type mappingError struct {
	class string
	msg   string
	err   error // the cause, if any
}

func (e *mappingError) Error() string          { return e.msg }
func (e *mappingError) Unwrap() error          { return e.err }
func (e *mappingError) ExceptionClass() string { return e.class }

func configError(format string, args ...any) error {
	return &mappingError{class: classConfig, msg: fmt.Sprintf(format, args...)}
}

func argumentError(err error) error {
	var me *mappingError
	if errors.As(err, &me) {
		return err
	}
	return &mappingError{class: classIllegalArgument, msg: err.Error(), err: err}
}

// missingField is the DataStax connector's error for a mapped field the
// record lacks.
func missingField(expr, column string) error {
	return configError("Required field '%s' (mapped to column %s) was missing from record (or may refer to an invalid function). Please remove it from the mapping.", expr, column)
}

// ExceptionClass implements connectors.ExceptionClassifier: the class of
// the exception the DataStax connector fails the record with.
func (e *RecordError) ExceptionClass() string { return exceptionClass(e.Err) }

// exceptionClass names the Java exception of a failure: the mapping's own
// class, or the Java driver's exception for what Cassandra answered.
func exceptionClass(err error) string {
	var c interface{ ExceptionClass() string }
	if errors.As(err, &c) {
		return c.ExceptionClass()
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		if name, ok := serverErrors[re.Code()]; ok {
			return driverErrors + "servererrors." + name
		}
		return driverErrors + "servererrors.ServerError"
	}
	var ne net.Error
	switch {
	case errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return driverErrors + "DriverTimeoutException"
	case errors.Is(err, gocql.ErrNoConnections):
		return driverErrors + "NoNodeAvailableException"
	case errors.Is(err, gocql.ErrConnectionClosed) || errors.As(err, &ne):
		return driverErrors + "AllNodesFailedException"
	}
	return classIllegalArgument
}

// serverErrors are the Java driver's exceptions (package servererrors) for
// Cassandra's error codes.
var serverErrors = map[int]string{
	gocql.ErrCodeServer:          "ServerError",
	gocql.ErrCodeProtocol:        "ProtocolError",
	gocql.ErrCodeUnavailable:     "UnavailableException",
	gocql.ErrCodeOverloaded:      "OverloadedException",
	gocql.ErrCodeBootstrapping:   "BootstrappingException",
	gocql.ErrCodeTruncate:        "TruncateException",
	gocql.ErrCodeWriteTimeout:    "WriteTimeoutException",
	gocql.ErrCodeReadTimeout:     "ReadTimeoutException",
	gocql.ErrCodeReadFailure:     "ReadFailureException",
	gocql.ErrCodeFunctionFailure: "FunctionFailureException",
	gocql.ErrCodeWriteFailure:    "WriteFailureException",
	gocql.ErrCodeSyntax:          "SyntaxError",
	gocql.ErrCodeUnauthorized:    "UnauthorizedException",
	gocql.ErrCodeInvalid:         "InvalidQueryException",
	gocql.ErrCodeConfig:          "InvalidConfigurationInQueryException",
	gocql.ErrCodeAlreadyExists:   "AlreadyExistsException",
}
